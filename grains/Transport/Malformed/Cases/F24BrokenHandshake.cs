using System.Text;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F24: broken upgrade requests: 2,000 headers, no Sec-WebSocket-Key, Sec-WebSocket-Version: 8, no Upgrade header.
/// A strict server answers 400 or 431 (426 with Sec-WebSocket-Version: 13 for the version), never 101, and
/// keeps running.
/// </summary>
public sealed class F24BrokenHandshake : MalformedCase
{
    public const string ManyHeaders = "2000 headers";
    public const string NoKey = "no Sec-WebSocket-Key";
    public const string Version8 = "Sec-WebSocket-Version: 8";
    public const string NoUpgrade = "no Upgrade";

    public override string Id => "F24";
    public override string Title => "handshake with 2,000 headers / no Sec-WebSocket-Key / Sec-WebSocket-Version: 8 / no Upgrade";
    public override string RfcSection => "4.2.1, 4.2.2, 4.4";
    public override TimeSpan Deadline => TimeSpan.FromSeconds(5);
    public override IReadOnlyList<string> Variants { get; } = [ManyHeaders, NoKey, Version8, NoUpgrade];

    public override Expectation Expected => Expectation.Http(400, 431) with
    {
        Text = "HTTP 400/431; 426 with Sec-WebSocket-Version: 13 for a version mismatch",
    };

    public override Expectation ExpectedFor(string variant) => variant switch
    {
        ManyHeaders => Expectation.Http(431, 400),
        NoKey => Expectation.Http(400),
        // A server that still speaks draft version 8 (hybi-08) may accept it: tolerated, not failed.
        Version8 => Expectation.Http(426) with { RequiredHeader = ("Sec-WebSocket-Version", "13"), WhenTolerated = Verdict.NonStrict },
        // 426 Upgrade Required is a fair answer to a plain GET on a WebSocket-only path.
        _ => Expectation.Http(400, 426),
    };

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        var time = context.Time;
        await using var connection = await RawConnection.OpenAsync(context.Connect, ct).ConfigureAwait(false);
        var started = time.GetTimestamp();
        var deadline = started + (long)(context.Scale(Deadline).TotalSeconds * time.TimestampFrequency);
        await CaseSession.TrySendAsync(() => connection.Writer.SendRawAsync(Request(connection.Target, variant), ct)).ConfigureAwait(false);
        var response = await connection.ReadResponseHeadAsync(deadline, ct).ConfigureAwait(false);
        return Observe(response, ExpectedFor(variant), time.GetElapsedTime(started)) with { Variant = variant };
    }

    /// <summary>How a handshake case turns an HTTP response head into an observation.</summary>
    public static Observation Observe(HttpResponseHead response, Expectation expected, TimeSpan elapsed) => response.Outcome switch
    {
        HeadOutcome.Complete => new Observation
        {
            Reaction = Reaction.Http,
            HttpStatus = response.Status,
            HttpHeaderMissing = expected.RequiredHeader is { } h && response.Header(h.Name)?.Split(',').Select(v => v.Trim()).Contains(h.Value) != true,
            Elapsed = elapsed,
        },
        HeadOutcome.Closed => new Observation { Reaction = Reaction.Dropped, Elapsed = elapsed, Detail = "no HTTP response" },
        HeadOutcome.Reset => new Observation { Reaction = Reaction.Dropped, ByReset = true, Elapsed = elapsed, Detail = "no HTTP response" },
        HeadOutcome.Garbage => new Observation { Reaction = Reaction.Http, Detail = "not an HTTP response", Elapsed = elapsed },
        _ => new Observation { Reaction = Reaction.Silent, Elapsed = elapsed },
    };

    private static byte[] Request(Uri target, string variant)
    {
        var sb = new StringBuilder();
        sb.Append("GET ").Append(target.PathAndQuery).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(target.Authority).Append("\r\n");
        if (variant != NoUpgrade) sb.Append("Upgrade: websocket\r\n");
        sb.Append("Connection: Upgrade\r\n");
        if (variant != NoKey) sb.Append("Sec-WebSocket-Key: ").Append(UpgradeHandshake.NewKey()).Append("\r\n");
        sb.Append("Sec-WebSocket-Version: ").Append(variant == Version8 ? "8" : "13").Append("\r\n");
        if (variant == ManyHeaders)
        {
            for (var i = 0; i < 2000; i++) sb.Append("X-Filler-").Append(i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)).Append(": x\r\n");
        }
        sb.Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
