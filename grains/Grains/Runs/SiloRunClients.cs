using System.Collections.Concurrent;

namespace SimCluster.Grains.Runs;

/// <summary>
/// The clients each run has started on this silo, held by the silo rather than by the run's agent: when the run's
/// coordinator or a silo is lost, a call to the agent (or to a client by its key) may reach a fresh activation that
/// knows nothing, while the clients started earlier keep running. <see cref="StopAllAsync"/> reaches those very
/// activations, so a run that ends early leaves no load behind on this silo.
/// </summary>
public sealed class SiloRunClients
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, Func<Task>>> _runs = new();

    /// <summary>
    /// This silo is stopping (<see cref="SiloDrain"/>): its clients are being handed over, so a client activated
    /// here now refuses to arm and deactivates, and the caller's retry places it on a silo that stays.
    /// </summary>
    public bool Draining { get; set; }

    /// <summary>The runs with clients started here.</summary>
    public IReadOnlyList<string> Runs => [.. _runs.Keys];

    private readonly ConcurrentDictionary<string, bool> _coordinated = new();

    /// <summary>The runs with clients started here or their coordinator activated here: what a stopping silo hands over.</summary>
    public IReadOnlyList<string> RunsToHandOver => [.. _runs.Keys.Union(_coordinated.Keys).Order(StringComparer.Ordinal)];

    /// <summary>The run's coordinator is activated on this silo (it goes with the silo unless it hands the run over).</summary>
    public void Coordinating(string runId) => _coordinated[runId] = true;

    /// <summary>The run's coordinator here has deactivated.</summary>
    public void NotCoordinating(string runId) => _coordinated.TryRemove(runId, out _);

    /// <summary>The indices of the run's clients started here.</summary>
    public IReadOnlyList<int> Clients(string runId) => _runs.TryGetValue(runId, out var clients) ? [.. clients.Keys] : [];

    /// <summary>Waits (polling, bounded) until every client of the run started here has deactivated; false if some had not by then.</summary>
    public async Task<bool> WhenGoneAsync(string runId, TimeSpan within, TimeProvider time)
    {
        var giveUpAt = time.GetUtcNow() + within;
        while (Count(runId) > 0)
        {
            if (time.GetUtcNow() >= giveUpAt) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(50), time);
        }
        return true;
    }

    /// <summary>A client has started: <paramref name="stop"/> stops it on its own activation's turn.</summary>
    public void Started(string runId, int clientIndex, Func<Task> stop) =>
        _runs.GetOrAdd(runId, _ => new ConcurrentDictionary<int, Func<Task>>())[clientIndex] = stop;

    /// <summary>How many clients of the run were started here (and not forgotten).</summary>
    public int Count(string runId) => _runs.TryGetValue(runId, out var clients) ? clients.Count : 0;

    /// <summary>Stops every client of the run started here, all at once; completes when every one has stopped.</summary>
    public Task StopAllAsync(string runId) =>
        _runs.TryGetValue(runId, out var clients) ? Task.WhenAll(clients.Values.Select(stop => stop())) : Task.CompletedTask;

    /// <summary>A client's activation is gone (deactivated after the run): nothing of it is left to stop.</summary>
    public void Gone(string runId, int clientIndex)
    {
        if (!_runs.TryGetValue(runId, out var clients)) return;
        clients.TryRemove(clientIndex, out _);
        // A run whose clients are all gone holds nothing here any more (a lost run is never released).
        if (clients.IsEmpty) _runs.TryRemove(new KeyValuePair<string, ConcurrentDictionary<int, Func<Task>>>(runId, clients));
    }

    public void Forget(string runId) => _runs.TryRemove(runId, out _);
}
