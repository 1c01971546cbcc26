namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F25: resource exhaustion at the edges: an upgrade request sent at 1 byte/s, a TCP connection that never
/// sends anything, and (after a normal upgrade) a flood of PINGs at about 10,000 per second. A strict server
/// times out the first two (before the case's 10 s deadline) and rate-limits the flood (close 1008).
/// </summary>
public sealed class F25SlowAndFlood : MalformedCase
{
    public const string SlowHandshake = "slow handshake";
    public const string Silent = "open and silent";
    public const string PingFlood = "PING flood";

    private static readonly TimeSpan FloodFor = TimeSpan.FromSeconds(2);
    private const int PingsPerBatch = 100;
    private static readonly TimeSpan BatchEvery = TimeSpan.FromMilliseconds(10);

    public override string Id => "F25";
    public override string Title => "slow handshake (1 byte/s), open-and-silent socket, PING flood 10k/s";
    public override string RfcSection => "10.4";
    public override TimeSpan Deadline => TimeSpan.FromSeconds(10);
    public override IReadOnlyList<string> Variants { get; } = [SlowHandshake, Silent, PingFlood];

    public override Expectation Expected => Expectation.Limit(1008) with
    {
        Text = "drop slow and silent handshakes within 10 s; close 1008 on the PING flood",
    };

    public override Expectation ExpectedFor(string variant) => variant == PingFlood ? Expectation.Limit(1008) : Expectation.GiveUpHandshake();

    public override Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct) => variant switch
    {
        PingFlood => FloodAsync(context, ct),
        _ => StallHandshakeAsync(context, variant == SlowHandshake, ct),
    };

    private async Task<Observation> StallHandshakeAsync(CaseContext context, bool dribble, CancellationToken ct)
    {
        var time = context.Time;
        await using var connection = await RawConnection.OpenAsync(context.Connect, ct).ConfigureAwait(false);
        var started = time.GetTimestamp();
        var deadline = started + (long)(context.Scale(Deadline).TotalSeconds * time.TimestampFrequency);
        var response = connection.ReadResponseHeadAsync(deadline, ct);
        if (dribble)
        {
            var request = connection.BuildUpgradeRequest(UpgradeHandshake.NewKey(), context.Connect.Headers);
            for (var i = 0; i < request.Length && !response.IsCompleted; i++)
            {
                if (!await CaseSession.TrySendAsync(() => connection.Writer.SendRawAsync(request.AsMemory(i, 1), ct)).ConfigureAwait(false)) break;
                await Task.WhenAny(response, Task.Delay(TimeSpan.FromSeconds(1), time, ct)).ConfigureAwait(false);
            }
        }
        var head = await response.ConfigureAwait(false);
        return F24BrokenHandshake.Observe(head, Expectation.GiveUpHandshake(), time.GetElapsedTime(started)) with { Variant = dribble ? SlowHandshake : Silent };
    }

    private async Task<Observation> FloodAsync(CaseContext context, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        var batch = Enumerable.Range(0, PingsPerBatch).SelectMany(i => FrameSpec.Ping([(byte)(i >> 8), (byte)i]).ToBytes()).ToArray();
        var time = context.Time;
        var until = time.GetTimestamp() + (long)(FloodFor.TotalSeconds * time.TimestampFrequency);
        var sent = 0;
        var stopped = false;
        while (time.GetTimestamp() < until)
        {
            if (session.Reader.Events.Any(e => e.Kind == ServerEventKind.Close || e.IsEnd)
                || !await CaseSession.TrySendAsync(() => session.Writer.SendRawAsync(batch, ct)).ConfigureAwait(false))
            {
                stopped = true;
                break;
            }
            sent += PingsPerBatch;
            await Task.Delay(BatchEvery, time, ct).ConfigureAwait(false);
        }
        if (!stopped) await session.SendProbeAsync(ct).ConfigureAwait(false);
        var observation = await session.ObserveAsync(ct).ConfigureAwait(false);
        return observation with
        {
            Variant = PingFlood,
            Detail = observation.Reaction == Reaction.Answered
                ? $"answered {session.Reader.ControlSeen:N0} PINGs (of {sent:N0} and the probe), no limit"
                : $"after {sent:N0} PINGs",
        };
    }
}
