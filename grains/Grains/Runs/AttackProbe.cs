using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Transport;
using SimCluster.Transport.Malformed;

namespace SimCluster.Grains.Runs;

/// <summary>After a malformed attack: does the server still accept a new connection (and answer a PING)?</summary>
public static class AttackProbe
{
    public static async Task<ServerProbeResult> RunAsync(RunPlan plan, TimeProvider time, List<string> notes)
    {
        var options = new ConnectOptions { Target = new Uri(plan.TargetUrls[0]), ConnectTimeout = TimeSpan.FromSeconds(5), Time = time };
        var probe = await Task.Run(() => ServerProbe.CheckAsync(options, TimeSpan.FromSeconds(5), CancellationToken.None));
        if (!probe.Accepted) notes.Add($"after the malformed attack the target no longer accepts connections: {probe.Detail}");
        return new ServerProbeResult { Accepted = probe.Accepted, Detail = probe.Detail, Milliseconds = Math.Round(probe.Elapsed.TotalMilliseconds, 1) };
    }
}
