using System.Net.Sockets;
using System.Text;

namespace SimCluster.Transport.Malformed;

/// <summary>
/// One connection of one case: a completed upgrade, the writer, the reader, and the deadline. It also knows the
/// standard way of watching a server react to a violation: send a probe PING after the bad input; a strict
/// server has failed the connection before it reads the probe, a tolerant one answers it.
/// </summary>
public sealed class CaseSession : IAsyncDisposable
{
    private static long _probes;
    private readonly TimeProvider _time;
    private readonly long _started;

    private CaseSession(RawConnection connection, HttpResponseHead response, long deadline, TimeProvider time, long started)
    {
        Connection = connection;
        Response = response;
        Deadline = deadline;
        _time = time;
        _started = started;
        Probe = Encoding.ASCII.GetBytes($"probe:{Interlocked.Increment(ref _probes)}");
    }

    public RawConnection Connection { get; }

    public RawFrameWriter Writer => Connection.Writer;

    public ServerFrameReader Reader => Connection.Reader;

    /// <summary>The 101 response (its headers tell which extensions were negotiated).</summary>
    public HttpResponseHead Response { get; }

    /// <summary><see cref="TimeProvider"/> timestamp after which the case stops watching.</summary>
    public long Deadline { get; }

    /// <summary>The payload of this session's probe PING.</summary>
    public byte[] Probe { get; }

    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>
    /// Connects and upgrades (with <paramref name="headers"/> added to the client's own). Throws
    /// <see cref="ConnectFailedException"/> when the server refuses the normal upgrade: then the case cannot run.
    /// </summary>
    public static async Task<CaseSession> OpenAsync(CaseContext context, TimeSpan deadline, CancellationToken ct,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null, bool rsv1Allowed = false)
    {
        var time = context.Time;
        var started = time.GetTimestamp();
        var connection = await RawConnection.OpenAsync(context.Connect, ct).ConfigureAwait(false);
        try
        {
            var handshakeDeadline = started + (long)(context.Connect.ConnectTimeout.TotalSeconds * time.TimestampFrequency);
            var (response, upgraded) = await connection.UpgradeAsync([.. context.Connect.Headers, .. headers ?? []], handshakeDeadline, ct).ConfigureAwait(false);
            if (!upgraded)
            {
                throw response.Outcome == HeadOutcome.Complete
                    ? new ConnectFailedException(response.Status == 101 ? ConnectFailure.BadUpgrade : ConnectFailure.HttpStatus, $"the upgrade was answered with {response}", response.Status)
                    : new ConnectFailedException(response.Outcome == HeadOutcome.Timeout ? ConnectFailure.Timeout : ConnectFailure.ClosedDuringHandshake, $"upgrade: {response}");
            }
            var negotiated = rsv1Allowed && (response.Header("Sec-WebSocket-Extensions")?.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase) ?? false);
            connection.StartReader(response.Leftover, negotiated);
            var now = time.GetTimestamp();
            return new CaseSession(connection, response, now + (long)(context.Scale(deadline).TotalSeconds * time.TimestampFrequency), time, now);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs a send; a server that already closed or reset makes writes fail, which is its answer, not an error.</summary>
    public static async Task<bool> TrySendAsync(Func<Task> send)
    {
        try
        {
            await send().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    public Task<bool> TrySendAsync(FrameSpec frame, CancellationToken ct) => TrySendAsync(() => Writer.SendAsync(frame, ct));

    public Task<bool> SendProbeAsync(CancellationToken ct) => TrySendAsync(FrameSpec.Ping(Probe), ct);

    public bool ProbeAnswered(IReadOnlyList<ServerEvent> events) => events.Any(IsProbePong);

    public bool IsProbePong(ServerEvent e) => e.Kind == ServerEventKind.Pong && e.Head.AsSpan().SequenceEqual(Probe);

    /// <summary>Waits (up to the deadline, or <paramref name="within"/> if sooner) for a condition over the server's events.</summary>
    public Task<bool> WaitAsync(Func<IReadOnlyList<ServerEvent>, bool> condition, CancellationToken ct, TimeSpan? within = null)
    {
        var until = within is { } w ? Math.Min(Deadline, _time.GetTimestamp() + (long)(w.TotalSeconds * _time.TimestampFrequency)) : Deadline;
        return Reader.WaitUntilAsync(condition, until, ct);
    }

    /// <summary>
    /// Watches the server after a violation (and the probe) until it closes, drops, answers the probe, or the
    /// deadline passes, then completes the close handshake if the server started one.
    /// </summary>
    /// <param name="legitEchoes">Data messages the server is expected to echo before failing (F02 sends one valid message first).</param>
    /// <param name="echoesTolerate">Whether echoes beyond <paramref name="legitEchoes"/> mean the input was accepted.</param>
    /// <param name="replyToClose">Answer a server Close with ours (false when the case already sent its own Close).</param>
    public async Task<Observation> ObserveAsync(CancellationToken ct, int legitEchoes = 0, bool echoesTolerate = true, bool replyToClose = true)
    {
        await WaitAsync(e => e.Any(x => x.Kind == ServerEventKind.Close || x.IsEnd) || ProbeAnswered(e), ct).ConfigureAwait(false);
        var events = Reader.Events;
        if (!events.Any(x => x.Kind == ServerEventKind.Close || x.IsEnd) && ProbeAnswered(events))
        {
            // It answered the probe; a late failure may still follow right after.
            await WaitAsync(e => e.Any(x => x.Kind == ServerEventKind.Close || x.IsEnd), ct, TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
        }
        return await ConcludeAsync(legitEchoes, echoesTolerate, replyToClose, ct).ConfigureAwait(false);
    }

    /// <summary>Turns the event log into an observation, answering a server Close first (and timing the TCP close).</summary>
    public async Task<Observation> ConcludeAsync(int legitEchoes, bool echoesTolerate, bool replyToClose, CancellationToken ct)
    {
        var events = Reader.Events;
        var close = events.FirstOrDefault(x => x.Kind == ServerEventKind.Close);
        var cleanClose = false;
        if (close is not null)
        {
            // Answer the Close as a client should, then give the server a moment to close TCP (FIN).
            if (!Reader.Ended)
            {
                if (replyToClose) await TrySendAsync(FrameSpec.Close(close.CloseCode is { } c && IsSendableCode(c) ? c : 1000), ct).ConfigureAwait(false);
                await WaitAsync(e => e.Any(x => x.IsEnd), ct, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
            events = Reader.Events;
            cleanClose = events.Any(x => x.Kind == ServerEventKind.Eof);
        }
        var closeIndex = close is null ? int.MaxValue : IndexOf(events, close);
        var before = events.Take(Math.Min(closeIndex, events.Count)).ToList();
        var echoes = before.Count(x => x.Kind == ServerEventKind.Message);
        var probeAnswered = before.Any(IsProbePong);
        var end = events.FirstOrDefault(x => x.IsEnd);
        var failed = close is not null || end is not null;
        // Echoing the offending input is accepting it; answering the probe and then failing is failing late.
        var tolerated = (echoesTolerate && echoes > legitEchoes) || (probeAnswered && !failed);
        var anomalies = events.Where(x => !x.IsEnd && x.Anomaly is not null).Select(x => x.Anomaly!).Distinct().ToList();
        var reaction = close is not null ? Reaction.Closed
            : end is not null ? Reaction.Dropped
            : probeAnswered || echoes > 0 ? Reaction.Answered
            : Reaction.Silent;
        return new Observation
        {
            Reaction = reaction,
            CloseCode = close?.CloseCode,
            CloseReason = close?.CloseReason,
            CleanClose = cleanClose,
            ByReset = end?.Kind == ServerEventKind.Reset,
            Tolerated = tolerated,
            Late = failed && probeAnswered,
            MissingExpectedEcho = legitEchoes > 0 && echoes < legitEchoes,
            ServerAnomaly = anomalies.Count > 0 ? string.Join("; ", anomalies) : null,
            Detail = reaction == Reaction.Answered ? DescribeAnswer(Math.Max(echoes, Reader.MessagesSeen), probeAnswered, echoesTolerate) : null,
            Elapsed = Elapsed,
        };
    }

    private static string DescribeAnswer(long echoes, bool probe, bool echoesTolerate) =>
        (echoesTolerate ? "accepted it: " : "kept serving: ") + (echoes, probe) switch
        {
            ( > 0, true) => $"echoed {echoes:N0} message(s) and answered the probe PING",
            ( > 0, false) => $"echoed {echoes:N0} message(s)",
            _ => "answered the probe PING",
        };

    private static int IndexOf(IReadOnlyList<ServerEvent> events, ServerEvent e)
    {
        for (var i = 0; i < events.Count; i++) if (ReferenceEquals(events[i], e)) return i;
        return events.Count;
    }

    /// <summary>Codes a Close frame may carry on the wire (RFC 6455 7.4).</summary>
    public static bool IsSendableCode(int code) =>
        code is >= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999;

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
