namespace SimCluster.Transport.Faults;

/// <summary>
/// The shaping faults by name, and how a link profile turns into a chain of them for one direction.
/// State faults (blackhole, freeze-reads) are switched on at run time by the connection instead.
/// </summary>
public static class FaultRegistry
{
    private delegate IStreamFault? Factory(LinkProfile link, Direction direction, Random random, TimeProvider time);

    // Order matters: serialisation (bandwidth) happens before the bytes travel (latency), and loss and
    // jitter add to the travel time.
    private static readonly (string Name, Factory Create)[] Shaping =
    [
        ("bandwidth", (link, dir, _, time) =>
            (dir == Direction.Down ? link.BandwidthDownBps : link.BandwidthUpBps) is > 0 and var bps ? new BandwidthFault(bps, time) : null),
        ("latency", (link, _, _, time) => link.Latency > TimeSpan.Zero ? new LatencyFault(link.Latency / 2, time) : null),
        ("jitter", (link, _, rng, time) => link.Jitter > TimeSpan.Zero ? new JitterFault(link.Jitter / 2, rng, time) : null),
        ("loss", (link, _, rng, time) => link.Loss > 0 ? new LossFault(link.Loss, LossFault.DefaultRetransmissionTimeout, rng, time) : null),
    ];

    /// <summary>Every fault name, shaping and state faults alike.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Shaping.Select(s => s.Name), "blackhole", "freeze-reads"];

    /// <summary>The shaping chain a link profile needs in one direction (empty for an unshaped link).</summary>
    public static List<IStreamFault> ForLink(LinkProfile link, Direction direction, Random random, TimeProvider time)
    {
        var chain = new List<IStreamFault>();
        foreach (var (_, create) in Shaping)
        {
            if (create(link, direction, random, time) is { } fault) chain.Add(fault);
        }
        return chain;
    }
}
