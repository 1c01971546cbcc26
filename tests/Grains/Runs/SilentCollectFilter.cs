using System.Collections.Concurrent;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Tests.Grains.Runs;

/// <summary>
/// Test hook installed on every silo of <see cref="SimCluster.Tests.Grains.TwoSiloCluster"/>: for a run it is told
/// about, one silo's agent does not answer <c>Collect</c> until released. That silo stays alive to membership and
/// answers everything else (arming, starting, stopping), like a silo too busy to report.
/// </summary>
internal sealed class SilentCollectFilter(ILocalSiloDetails silo) : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<string, (string Silo, TaskCompletionSource Release)> Silenced = new();

    /// <summary>Silences <paramref name="siloAddress"/>'s collections of <paramref name="runId"/> until the result is disposed.</summary>
    public static IDisposable Silence(string runId, string siloAddress)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Silenced[runId] = (siloAddress, release);
        return new Releaser(runId, release);
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.Name == nameof(ISiloAgentGrain.Collect) && context.Request.GetArgument(0) is string runId
            && Silenced.TryGetValue(runId, out var silenced) && silenced.Silo == silo.SiloAddress.ToParsableString())
        {
            await silenced.Release.Task;
        }
        await context.Invoke();
    }

    private sealed class Releaser(string runId, TaskCompletionSource release) : IDisposable
    {
        public void Dispose()
        {
            Silenced.TryRemove(runId, out _);
            release.TrySetResult();
        }
    }
}
