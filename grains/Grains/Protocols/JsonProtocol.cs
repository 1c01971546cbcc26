using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Protocols;

/// <summary>
/// <c>protocol: json</c>: any request/response protocol over text frames, as the scenario's <c>json</c> block
/// describes it. Requests are the send template with <c>{seq}</c> filled in; a reply names its request by a JSON path
/// or a regex capture; a reply matching <c>error</c> is failed; frames matching the push filter are pushes (with a
/// sequence path: loss, duplicates, reordering); the optional app-level ping and the in-band refresh frames come from
/// the same block. The books are <see cref="RequestTraffic"/>'s and <see cref="PushTraffic"/>'s.
/// Paths, patterns and templates are compiled once per plan and shared by every client.
/// </summary>
public sealed class JsonProtocol : IProtocol, IAppHeartbeat
{
    /// <summary>Pings whose send time is kept for their pong; older ones are forgotten (the pinger times out on them).</summary>
    private const int MaxOpenPings = 16;

    private readonly int _clientIndex;
    private readonly MessagePlan _messages;
    private readonly Compiled _frames;
    private readonly RequestTraffic _traffic;
    private readonly PushTraffic _pushes;
    private readonly Queue<long> _pings = new();
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private ITextChannel? _connection;
    private long _pingSeq;

    public JsonProtocol(int clientIndex, JsonPlan plan, MessagePlan messages, GroupRecorder metrics, TimeProvider time, Random random)
    {
        _clientIndex = clientIndex;
        _messages = messages;
        _time = time;
        _frames = Compiled.For(plan);
        _traffic = new RequestTraffic(messages, metrics, time, random, Build);
        _pushes = new PushTraffic(metrics);
        RefreshFrames = plan.RefreshMessage is { } message ? new TemplateRefreshFrames(message, plan.RefreshExpect!, plan.RefreshReject) : null;
    }

    /// <summary>No handshake: the scenario's protocol starts with the first request.</summary>
    public bool ReadyOnAttach => true;

    public event Action<bool>? Ready { add { } remove { } }

    /// <summary>Nothing is replayed: what was in flight when a connection ends is interrupted.</summary>
    public bool Resumes => false;

    public ConnectOptions PrepareUpgrade(ConnectOptions options) => options;

    public IAppHeartbeat? Heartbeat => _frames.Ping is null ? null : this;

    public IRefreshFrames? RefreshFrames { get; }

    /// <summary>No place of its own for a token: it rides in the upgrade request (auth.send query or header).</summary>
    public ITokenCarrier? Tokens => null;

    public int Pending => _traffic.Pending;

    public event Action<long>? PongSeen;

    public void Schedule(long start, long end) => _traffic.Schedule(start, end);

    public void Attach(ITextChannel connection)
    {
        lock (_gate)
        {
            _connection = connection;
            _pings.Clear();
        }
        _traffic.Attach(connection);
    }

    public void Detach()
    {
        lock (_gate) _connection = null;
        _traffic.Detach();
    }

    public void Abandon()
    {
        lock (_gate) _connection = null;
        _traffic.Abandon();
    }

    public void StopSending() => _traffic.StopSending();

    public Task DrainAsync(TimeSpan grace) => _traffic.DrainAsync(grace);

    public void SendPing(long timestamp)
    {
        ITextChannel? connection;
        long seq;
        lock (_gate)
        {
            connection = _connection;
            if (connection is null) return;
            if (_pings.Count == MaxOpenPings) _pings.Dequeue();
            _pings.Enqueue(timestamp);
            seq = ++_pingSeq;
        }
        connection.Send(_frames.Ping!.Fill(seq, _time.GetUtcNow().ToUnixTimeMilliseconds(), _clientIndex, 0));
    }

    public void OnText(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = max <= 1024 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var utf8 = buffer[..Encoding.UTF8.GetBytes(text, buffer)];
            Read(text, utf8);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Read(string text, ReadOnlySpan<byte> utf8)
    {
        if (_frames.Pong is { } pong && pong.Matches(text, utf8))
        {
            long sentAt;
            lock (_gate)
            {
                if (!_pings.TryDequeue(out sentAt)) return;
            }
            PongSeen?.Invoke(sentAt);
            return;
        }
        if (_frames.Correlate.TryReadLong(text, utf8, out var seq))
        {
            if (_frames.Error is { } error && error.Matches(text, utf8)) _traffic.Failed(seq);
            else _traffic.Answered(seq);
            return;
        }
        if (_frames.Push is { } push && push.Matches(text, utf8))
        {
            if (_frames.PushSequence is { } path && path.TryReadLong(utf8, out var n)) _pushes.Received("", n);
            else _pushes.Received();
        }
    }

    public void Finish()
    {
        _traffic.Finish();
        _pushes.Finish();
    }

    public void Dispose() => _traffic.Dispose();

    private string Build(long seq, long unixMs) => _frames.Send.Fill(seq, unixMs, _clientIndex, _messages.Size);

    /// <summary>A plan's templates, paths and patterns, compiled once and shared by every client of the plan.</summary>
    internal sealed class Compiled
    {
        private static readonly ConditionalWeakTable<JsonPlan, Compiled> Cache = new();

        public required JsonTemplate Send { get; init; }
        public required FrameMatch Correlate { get; init; }
        public FrameMatch? Error { get; init; }
        public JsonTemplate? Ping { get; init; }
        public FrameMatch? Pong { get; init; }
        public FrameMatch? Push { get; init; }
        public JsonPath? PushSequence { get; init; }

        public static Compiled For(JsonPlan plan) => Cache.GetValue(plan, static p => new Compiled
        {
            Send = new JsonTemplate(p.Send),
            Correlate = FrameMatch.Of(p.Correlate),
            Error = p.Error is { } e ? FrameMatch.Of(e) : null,
            Ping = p.HeartbeatSend is { } ping ? new JsonTemplate(ping) : null,
            Pong = p.HeartbeatSend is not null && p.HeartbeatExpect is { } pong ? FrameMatch.Of(pong) : null,
            Push = p.PushFilter is { } f ? FrameMatch.Of(f) : null,
            PushSequence = p.PushFilter is not null && p.PushSequence is { } s ? JsonPath.Parse(s) : null,
        });
    }

    /// <summary>One test of a frame: a JSON path (present, or equal to a value) or a regular expression.</summary>
    internal sealed class FrameMatch
    {
        private readonly JsonPath? _path;
        private readonly string? _value;
        private readonly Regex? _regex;

        private FrameMatch(JsonPath? path, string? value, Regex? regex) => (_path, _value, _regex) = (path, value, regex);

        /// <summary>Bounds a pattern on a hostile frame: a match that takes longer counts as no match.</summary>
        private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

        public static FrameMatch Of(JsonMatchPlan plan) => plan.Regex is { } pattern
            ? new FrameMatch(null, null, new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout))
            : new FrameMatch(JsonPath.Parse(plan.Path!), plan.Value, null);

        public bool Matches(string text, ReadOnlySpan<byte> utf8)
        {
            if (_regex is not null)
            {
                try
                {
                    return _regex.IsMatch(text);
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }
            }
            if (_value is null) return _path!.Exists(utf8);
            return _path!.TryReadText(utf8, out var found) && string.Equals(found, _value, StringComparison.Ordinal);
        }

        /// <summary>The whole number the test points at: the path's value, or the regex's first group.</summary>
        public bool TryReadLong(string text, ReadOnlySpan<byte> utf8, out long value)
        {
            value = 0;
            if (_path is not null) return _path.TryReadLong(utf8, out value);
            Match match;
            try
            {
                match = _regex!.Match(text);
            }
            catch (RegexMatchTimeoutException)
            {
                return false;
            }
            if (!match.Success) return false;
            var group = match.Groups.Count > 1 ? match.Groups[1] : match.Groups[0];
            return long.TryParse(group.ValueSpan, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value);
        }
    }
}
