namespace SimCluster.Transport;

/// <summary>
/// How a simulated network link behaves. Latency is the round trip (split half per direction);
/// bandwidth is in bits per second (0 = unlimited); loss is the share of segments that need a retransmission.
/// </summary>
public sealed record LinkProfile(
    string Name,
    TimeSpan Latency,
    TimeSpan Jitter,
    long BandwidthDownBps,
    long BandwidthUpBps,
    double Loss)
{
    /// <summary>No shaping at all: the loopback interface as it is.</summary>
    public static LinkProfile Loopback { get; } = new("loopback", TimeSpan.Zero, TimeSpan.Zero, 0, 0, 0);

    public bool IsUnshaped =>
        Latency <= TimeSpan.Zero && Jitter <= TimeSpan.Zero && BandwidthDownBps <= 0 && BandwidthUpBps <= 0 && Loss <= 0;
}

/// <summary>Named link profiles (after the Chrome DevTools, WebPageTest and Loadero presets).</summary>
public static class LinkProfiles
{
    private static LinkProfile P(string name, double latencyMs, double downMbps, double upMbps, double loss, double jitterMs) =>
        new(name, TimeSpan.FromMilliseconds(latencyMs), TimeSpan.FromMilliseconds(jitterMs),
            (long)(downMbps * 1_000_000), (long)(upMbps * 1_000_000), loss);

    public static IReadOnlyDictionary<string, LinkProfile> All { get; } = new Dictionary<string, LinkProfile>
    {
        ["loopback"] = LinkProfile.Loopback,
        ["ethernet"] = P("ethernet", 1, 0, 0, 0, 0),
        ["wifi-good"] = P("wifi-good", 20, 30, 15, 0.001, 5),
        ["wifi-congested"] = P("wifi-congested", 60, 5, 2, 0.01, 40),
        ["4g"] = P("4g", 165, 9, 1.5, 0.002, 15),
        ["3g"] = P("3g", 562, 1.6, 0.75, 0.005, 50),
        ["slow-3g"] = P("slow-3g", 2000, 0.4, 0.4, 0.005, 50),
        ["edge"] = P("edge", 840, 0.24, 0.2, 0.01, 100),
        ["satellite"] = P("satellite", 600, 1, 0.256, 0, 50),
    };
}
