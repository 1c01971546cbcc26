using System.Diagnostics;
using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// A run that ends early leaves no load behind: two `simcluster silo` processes on a real redis-server, the reference
/// target in a process of its own (so it outlives the command), and a flapping run that is (1) interrupted with
/// SIGINT and (2) loses the silo holding its coordinator, is taken over by the survivor, then is interrupted. Each time, the target's own counters read when the command
/// has returned and again 6 s later are equal: no connection and no message reached it after the command returned.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class EarlyEndTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 40;

    [Fact]
    public async Task A_run_ended_early_by_a_signal_or_by_losing_its_coordinator_sends_nothing_after_the_command_returned()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var cluster = await RedisCluster.StartAsync(silos: 2);
        var targetPort = BackgroundProcess.FreeLoopbackPort();
        await using var target = BackgroundProcess.Start("simcluster target", ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["target", "--port", $"{targetPort}"], Simcluster.RepoRoot));
        await target.WaitForLineAsync(l => l.StartsWith("SimCluster reference target listening", StringComparison.Ordinal), "the target starting", TimeSpan.FromSeconds(90));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var folder = Simcluster.TempFolder("early-end");
        try
        {
            // Flappers reconnect every second or two and everyone sends twice a second: a client left running
            // after the command returned shows in the target's upgrades and messages within 6 s.
            var scenario = Path.Combine(folder, "early.yaml");
            await File.WriteAllTextAsync(scenario, $$"""
                name: early-end
                target: ws://127.0.0.1:{{targetPort}}/ws
                clients: {{Clients}}
                duration: 90s
                rampUp: 1s
                seed: 24
                messages: { interval: 500ms, size: 64, lossTimeout: 2s }
                population:
                  - { name: steady, share: 50% }
                  - name: flappers
                    share: 50%
                    behavior: flapping
                    flapping: { up: 1s..2s, down: 100ms..300ms, drop: [close, reset], cycles: 0 }
                """);

            // (1) Ctrl-C: the run stops its clients on every silo, writes a partial report, then returns.
            var interruptedOut = Path.Combine(folder, "report-sigint");
            await using (var run = cluster.StartRun("simcluster run (SIGINT)", scenario, interruptedOut))
            {
                await RedisCluster.CoordinatorLineAsync(run);
                await run.WaitForRunSecondAsync(6, TimeSpan.FromSeconds(90));
                var before = await StatsAsync(http, targetPort);
                Assert.True(before.Upgrades > 0 && before.MessagesIn > 0, $"no load reached the target: {before}");
                var signalled = Stopwatch.StartNew();
                await using var watch = LastChange.Watch(http, targetPort, signalled);
                await RedisCluster.SignalAsync(run.Pid, "INT");
                var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));
                var returned = signalled.Elapsed;
                var atReturn = await StatsAsync(http, targetPort);
                await Task.Delay(TimeSpan.FromSeconds(6));
                var later = await StatsAsync(http, targetPort);
                output.WriteLine(run.Output);
                output.WriteLine($"SIGINT: the command returned {returned.TotalSeconds:0.00} s after the signal; the target's counters last moved {watch.Seconds:0.00} s after it; target at return {atReturn}, 6 s later {later}");
                Assert.True(exit is 105, $"exit {exit}\n{run.Output}");
                var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(interruptedOut, "report.json")))!.AsObject();
                Assert.True(report["partial"]!.GetValue<bool>());
                Assert.Contains("SIGINT", report["partialReason"]!.GetValue<string>());
                Assert.Equal(atReturn.Upgrades, later.Upgrades);
                Assert.Equal(atReturn.MessagesIn, later.MessagesIn);
                Assert.Equal(0, later.Open);
            }

            // (2) The coordinator's silo SIGKILLed, the run taken over by the survivor, then SIGINT: the new coordinator
            // stops every client (the survivor's own and the ones it re-activated) before the command returns.
            var lostOut = Path.Combine(folder, "report-coordinator-lost");
            await using (var run = cluster.StartRun("simcluster run (coordinator lost)", scenario, lostOut))
            {
                var coordinator = await RedisCluster.CoordinatorLineAsync(run);
                await run.WaitForRunSecondAsync(6, TimeSpan.FromSeconds(90));
                var victim = cluster.Silos.Single(s => s.Named(coordinator));
                var survivor = cluster.Silos.Single(s => s != victim);
                victim.Process.KillHard();
                await run.WaitForLineAsync(l => l.Contains($"reactivated={Clients / 2}", StringComparison.Ordinal), "the run taken over, its lost clients re-activated", TimeSpan.FromSeconds(90));
                var signalled = Stopwatch.StartNew();
                await using var watch = LastChange.Watch(http, targetPort, signalled);
                await RedisCluster.SignalAsync(run.Pid, "INT");
                var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
                var returned = signalled.Elapsed;
                var atReturn = await StatsAsync(http, targetPort);
                await Task.Delay(TimeSpan.FromSeconds(6));
                var later = await StatsAsync(http, targetPort);
                output.WriteLine(run.Output);
                output.WriteLine($"coordinator lost, then SIGINT: the command returned {returned.TotalSeconds:0.00} s after the signal; the target's counters last moved {watch.Seconds:0.00} s after it; target at return {atReturn}, 6 s later {later}");
                Assert.True(exit is 105, $"exit {exit}\n{run.Output}");
                var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(lostOut, "report.json")))!.AsObject();
                Assert.Contains("SIGINT", report["partialReason"]!.GetValue<string>());
                Assert.Single(report["failovers"]!.AsArray());
                Assert.False(survivor.Process.HasExited, $"the surviving silo exited\n{survivor.Process.Output}");
                Assert.Equal(atReturn.Upgrades, later.Upgrades);
                Assert.Equal(atReturn.MessagesIn, later.MessagesIn);
                // The killed silo's sockets were closed by its kernel; the survivor closed its own and the adopted ones.
                Assert.Equal(0, later.Open);
            }
        }
        finally
        {
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Polls the target's counters every 200 ms and keeps when they last changed, in seconds on <paramref name="since"/>:
    /// how long load kept reaching the target after the signal or the kill (printed, not asserted).
    /// </summary>
    private sealed class LastChange : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _polling = Task.CompletedTask;

        public double Seconds { get; private set; }

        public static LastChange Watch(HttpClient http, int port, Stopwatch since)
        {
            var watch = new LastChange();
            watch._polling = watch.PollAsync(http, port, since);
            return watch;
        }

        private async Task PollAsync(HttpClient http, int port, Stopwatch since)
        {
            TargetCounts? last = null;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var now = await StatsAsync(http, port);
                    if (last is not null && now != last) Seconds = since.Elapsed.TotalSeconds;
                    last = now;
                    await Task.Delay(200, _stop.Token);
                }
                catch (OperationCanceledException) { return; }
                catch (HttpRequestException) { }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _polling;
        }
    }

    private sealed record TargetCounts(long Upgrades, long MessagesIn, long Open)
    {
        public override string ToString() => $"{Upgrades} upgrades, {MessagesIn} messages in, {Open} open";
    }

    private static async Task<TargetCounts> StatsAsync(HttpClient http, int port)
    {
        var stats = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/stats"))!;
        return new TargetCounts(stats["upgrades"]!.GetValue<long>(), stats["messagesIn"]!.GetValue<long>(), stats["openConnections"]!.GetValue<long>());
    }
}
