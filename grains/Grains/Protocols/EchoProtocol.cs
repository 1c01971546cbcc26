using System.Globalization;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Protocols;

/// <summary>
/// The echo protocol's traffic and accounting for one client. Each message carries the client id, a
/// sequence number that survives reconnects and the send time: <c>{"c":17,"s":42,"t":1712..,"p":"xxx"}</c>,
/// padded to the configured size. An echo closes its message (RTT); the books are <see cref="RequestTraffic"/>'s.
/// </summary>
public sealed class EchoProtocol : IProtocol
{
    private readonly int _clientIndex;
    private readonly MessagePlan _plan;
    private readonly RequestTraffic _traffic;
    private readonly string _prefix;

    public EchoProtocol(int clientIndex, MessagePlan plan, GroupRecorder metrics, TimeProvider time, Random random)
    {
        _clientIndex = clientIndex;
        _plan = plan;
        _prefix = "{\"c\":" + clientIndex.ToString(CultureInfo.InvariantCulture) + ",\"s\":";
        _traffic = new RequestTraffic(plan, metrics, time, random, Build);
    }

    /// <summary>No handshake: an echo server echoes from the first frame.</summary>
    public bool ReadyOnAttach => true;

    public event Action<bool>? Ready { add { } remove { } }

    /// <summary>Nothing is replayed: what was in flight when a connection ends is interrupted.</summary>
    public bool Resumes => false;

    public ConnectOptions PrepareUpgrade(ConnectOptions options) => options;

    public IAppHeartbeat? Heartbeat => null;

    /// <summary>An echo server has no refresh of its own; an in-band refresh needs the scenario's refresh.message.</summary>
    public IRefreshFrames? RefreshFrames => null;

    /// <summary>No token of its own: it rides in the upgrade request (auth.send query or header).</summary>
    public ITokenCarrier? Tokens => null;

    public int Pending => _traffic.Pending;

    public void Schedule(long start, long end) => _traffic.Schedule(start, end);

    public void Attach(ITextChannel connection) => _traffic.Attach(connection);

    public void Detach() => _traffic.Detach();

    public void Abandon() => _traffic.Abandon();

    public void StopSending() => _traffic.StopSending();

    public Task DrainAsync(TimeSpan grace) => _traffic.DrainAsync(grace);

    public void OnText(string text)
    {
        if (TryParse(text, out var client, out var seq) && client == _clientIndex) _traffic.Answered(seq);
    }

    public void Finish() => _traffic.Finish();

    public void Dispose() => _traffic.Dispose();

    /// <summary>The message text, written straight into the string (one allocation per message).</summary>
    private string Build(long seq, long unixMs)
    {
        var head = _prefix.Length + Digits(seq) + TimeKey.Length + Digits(unixMs) + PadKey.Length;
        var length = Math.Max(_plan.Size, head + 2);
        return string.Create(length, (Prefix: _prefix, Seq: seq, UnixMs: unixMs), static (span, m) =>
        {
            m.Prefix.CopyTo(span);
            var at = m.Prefix.Length;
            m.Seq.TryFormat(span[at..], out var n, provider: CultureInfo.InvariantCulture);
            at += n;
            TimeKey.CopyTo(span[at..]);
            at += TimeKey.Length;
            m.UnixMs.TryFormat(span[at..], out n, provider: CultureInfo.InvariantCulture);
            at += n;
            PadKey.CopyTo(span[at..]);
            at += PadKey.Length;
            span[at..^2].Fill('x');
            "\"}".CopyTo(span[^2..]);
        });
    }

    private const string TimeKey = ",\"t\":";
    private const string PadKey = ",\"p\":\"";

    private static int Digits(long value)
    {
        var digits = 1;
        for (; value >= 10; value /= 10) digits++;
        return digits;
    }

    /// <summary>Reads the client id and sequence number from the start of an echoed message, without a JSON parser.</summary>
    internal static bool TryParse(ReadOnlySpan<char> text, out int client, out long seq)
    {
        client = 0;
        seq = 0;
        if (!text.StartsWith("{\"c\":")) return false;
        text = text[5..];
        var comma = text.IndexOf(',');
        if (comma < 0 || !int.TryParse(text[..comma], NumberStyles.None, CultureInfo.InvariantCulture, out client)) return false;
        text = text[(comma + 1)..];
        if (!text.StartsWith("\"s\":")) return false;
        text = text[4..];
        comma = text.IndexOf(',');
        return comma > 0 && long.TryParse(text[..comma], NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }
}
