using SimCluster.Grains.Runs;

namespace SimCluster.Tests.Grains.Runs;

/// <summary>The silo's own list of the clients each run started on it: what a halt stops, per run.</summary>
[Trait("Category", "Unit")]
public sealed class SiloRunClientsTests
{
    [Fact]
    public async Task A_halt_stops_every_client_of_its_run_and_none_of_another_run()
    {
        var clients = new SiloRunClients();
        var stopped = new List<string>();
        foreach (var (run, index) in new[] { ("a", 0), ("a", 1), ("a", 2), ("b", 0) })
            clients.Started(run, index, () => { lock (stopped) stopped.Add($"{run}/{index}"); return Task.CompletedTask; });
        clients.Gone("a", 2); // deactivated after the run: nothing left to stop

        Assert.Equal(2, clients.Count("a"));
        await clients.StopAllAsync("a");

        Assert.Equal(["a/0", "a/1"], stopped.Order());
        Assert.Equal(1, clients.Count("b"));
        clients.Forget("b");
        Assert.Equal(0, clients.Count("b"));
        await clients.StopAllAsync("b"); // a forgotten or unknown run halts nothing
        await clients.StopAllAsync("never");
        Assert.Equal(2, stopped.Count);
        clients.Gone("a", 0);
        clients.Gone("a", 1);
        Assert.Equal(0, clients.Count("a"));
    }

    [Fact]
    public async Task A_halt_completes_only_when_every_client_has_stopped()
    {
        var clients = new SiloRunClients();
        var slow = new TaskCompletionSource();
        clients.Started("r", 0, () => Task.CompletedTask);
        clients.Started("r", 1, () => slow.Task);

        var halt = clients.StopAllAsync("r");
        Assert.False(halt.IsCompleted);
        slow.SetResult();
        await halt.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
