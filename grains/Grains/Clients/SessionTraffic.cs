using System.Globalization;
using System.Text;
using System.Text.Json;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>
/// The session protocol of CONTRACT.md section 4, client side, with loss accounting in both directions.
/// Sequence numbers survive reconnects: after every connect the client says hello with the highest server
/// sequence it holds contiguously, the server's welcome says which client messages it holds, and both
/// sides replay the rest. Up: a client message is delivered when its echo arrives; one never echoed by
/// the end of the run is lost. Down: a server sequence number seen twice is a duplicate, one seen after a
/// higher one is reordered, a gap left at the end is lost.
/// </summary>
public sealed class SessionTraffic : ITraffic
{
    private readonly string _sessionId;
    private readonly MessagePlan _plan;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly TimeSpan _phase;
    private readonly object _gate = new();

    // Up: client messages by sequence, with first send time and the frame to replay.
    private readonly SortedDictionary<long, (long SentAt, string Frame)> _unechoed = [];
    private readonly RecentSequences _echoedOnce = new();
    private long _nextSeq = 1;
    private long _highestEcho;

    // Down: server sequence numbers.
    private long _contiguous;            // every server seq <= this has arrived
    private readonly SortedSet<long> _ahead = []; // arrived beyond a gap
    private long _highestServerSeq;
    private long _lastAckSent;
    private long _helloLastSeq;                      // what we told the server we hold, on this connection
    private RecentSequences _seenOnConnection = new(); // server seqs received on this connection

    private SimulatedConnection? _connection;
    private ITimer? _timer;
    private bool _welcomed;
    private bool _sending;
    private bool _established;

    public SessionTraffic(string sessionId, MessagePlan plan, GroupRecorder metrics, TimeProvider time, Random random)
    {
        _sessionId = sessionId;
        _plan = plan;
        _metrics = metrics;
        _time = time;
        _phase = plan.Interval > TimeSpan.Zero ? TimeSpan.FromTicks((long)(random.NextDouble() * plan.Interval.Ticks)) : TimeSpan.FromSeconds(1);
    }

    /// <summary>Raised (on a socket thread) when a welcome arrives: the session is resumed or started.</summary>
    public event Action<bool>? Welcomed;

    public int Pending { get { lock (_gate) return _unechoed.Count; } }

    public void Attach(SimulatedConnection connection)
    {
        lock (_gate)
        {
            _connection = connection;
            _welcomed = false;
            _sending = true;
            _helloLastSeq = _contiguous;
            _seenOnConnection = new RecentSequences();
            connection.Send($"{{\"type\":\"hello\",\"session\":\"{_sessionId}\",\"lastSeq\":{_contiguous}}}");
            _timer?.Dispose();
            // Ticks send messages (after the welcome) and acks; at least once a second for acks.
            var period = _plan.Interval > TimeSpan.Zero && _plan.Interval < TimeSpan.FromSeconds(1) ? _plan.Interval : TimeSpan.FromSeconds(1);
            _timer = _time.CreateTimer(_ => Tick(), null, _phase < period ? _phase : period, period);
            _nextSendAt = _time.GetTimestamp() + (long)(_phase.TotalSeconds * _time.TimestampFrequency);
        }
    }

    private long _nextSendAt;

    public void Detach()
    {
        lock (_gate) StopLocked(); // nothing is interrupted: unechoed messages are replayed on the next connection
    }

    public void StopSending()
    {
        lock (_gate) _sending = false;
    }

    public void Abandon()
    {
        lock (_gate)
        {
            StopLocked();
            _unechoed.Clear();
        }
    }

    private void StopLocked()
    {
        _timer?.Dispose();
        _timer = null;
        _connection = null;
        _welcomed = false;
    }

    private void Tick()
    {
        SimulatedConnection? connection;
        List<string> frames = [];
        lock (_gate)
        {
            connection = _connection;
            if (connection is null || !_welcomed) return;
            if (_contiguous > _lastAckSent)
            {
                frames.Add($"{{\"type\":\"ack\",\"seq\":{_contiguous}}}");
                _lastAckSent = _contiguous;
            }
            var now = _time.GetTimestamp();
            if (_sending && _plan.Interval > TimeSpan.Zero && now >= _nextSendAt)
            {
                _nextSendAt = now + (long)(_plan.Interval.TotalSeconds * _time.TimestampFrequency);
                var seq = _nextSeq++;
                _echoedOnce.Issue(seq);
                var frame = Build(seq);
                _unechoed[seq] = (now, frame);
                frames.Add(frame);
                _metrics.Count(MetricNames.MessagesSent);
            }
        }
        foreach (var frame in frames) connection.Send(frame);
    }

    private string Build(long seq)
    {
        var sb = new StringBuilder(Math.Max(_plan.Size, 64));
        sb.Append("{\"type\":\"msg\",\"seq\":").Append(seq).Append(",\"ts\":").Append(_time.GetUtcNow().ToUnixTimeMilliseconds()).Append(",\"body\":\"");
        var pad = _plan.Size - sb.Length - 2;
        if (pad > 0) sb.Append('x', pad);
        sb.Append("\"}");
        return sb.ToString();
    }

    public void OnText(string text)
    {
        string? type = null;
        long seq = 0, echo = 0, lastSeq = 0;
        bool hasSeq = false, hasEcho = false, resumed = false;
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "type": type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; break;
                    case "seq" when reader.TokenType == JsonTokenType.Number: seq = reader.GetInt64(); hasSeq = true; break;
                    case "echo" when reader.TokenType == JsonTokenType.Number: echo = reader.GetInt64(); hasEcho = true; break;
                    case "lastSeq" when reader.TokenType == JsonTokenType.Number: lastSeq = reader.GetInt64(); break;
                    case "resumed": resumed = reader.TokenType == JsonTokenType.True; break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (JsonException)
        {
            return; // not a protocol frame: nothing to account
        }

        switch (type)
        {
            case "welcome": OnWelcome(resumed, lastSeq); break;
            case "msg" when hasSeq: OnServerMessage(seq, hasEcho ? echo : null); break;
        }
    }

    private void OnWelcome(bool resumed, long serverHolds)
    {
        SimulatedConnection? connection;
        List<string> replay = [];
        lock (_gate)
        {
            connection = _connection;
            if (connection is null) return;
            if (!resumed && _established)
            {
                // The server forgot the session: it starts numbering again, so our view of its sequence restarts too.
                _metrics.Count(MetricNames.SessionsForgotten);
                _contiguous = 0;
                _ahead.Clear();
                _highestServerSeq = 0;
                _lastAckSent = 0;
            }
            _established = true;
            _welcomed = true;
            foreach (var (seq, (_, frame)) in _unechoed)
            {
                if (seq > serverHolds) replay.Add(frame);
            }
            _metrics.Count(MetricNames.MessagesReplayed, replay.Count);
        }
        foreach (var frame in replay) connection.Send(frame);
        Welcomed?.Invoke(resumed);
    }

    private void OnServerMessage(long seq, long? echoOf)
    {
        lock (_gate)
        {
            var limit = Math.Max(_highestServerSeq, seq) + 1;
            if (seq <= _contiguous || _ahead.Contains(seq))
            {
                // Dropped either way (the application never sees a message twice). It is the server's duplicate
                // when we had told it we hold this one, or it came twice on this connection; a replay of what
                // sat beyond a gap we could not acknowledge is the protocol working as designed.
                if (seq <= _helloLastSeq || _seenOnConnection.Seen(seq, limit)) _metrics.Count(MetricNames.MessagesDuplicated);
                _seenOnConnection.Mark(seq, limit);
                return;
            }
            _seenOnConnection.Mark(seq, limit);
            if (seq < _highestServerSeq) _metrics.Count(MetricNames.MessagesReordered);
            _highestServerSeq = Math.Max(_highestServerSeq, seq);
            if (seq == _contiguous + 1)
            {
                _contiguous = seq;
                while (_ahead.Remove(_contiguous + 1)) _contiguous++;
            }
            else
            {
                _ahead.Add(seq);
            }
            _metrics.Count(MetricNames.MessagesReceived);

            if (echoOf is { } k)
            {
                if (_unechoed.Remove(k, out var sent))
                {
                    _metrics.Record(MetricNames.MessageRtt, _time.GetElapsedTime(sent.SentAt));
                    _echoedOnce.Mark(k, _nextSeq);
                    if (k < _highestEcho) _metrics.Count(MetricNames.MessagesReordered);
                    _highestEcho = Math.Max(_highestEcho, k);
                }
                else if (_echoedOnce.Seen(k, _nextSeq))
                {
                    _metrics.Count(MetricNames.MessagesDuplicated); // the server echoed K twice
                }
            }
        }
    }

    /// <summary>
    /// Whatever never arrived, after every replay, is lost. Down: each gap in the server's sequence. Up: our
    /// messages after the last one the server echoed. An unechoed message below that one reached the server
    /// (it echoes in order), so only its echo went missing, and that echo is already one of the gaps:
    /// counting it again would report one loss twice.
    /// </summary>
    public void Finish()
    {
        lock (_gate)
        {
            var gaps = _highestServerSeq - _contiguous - _ahead.Count;
            var neverAnswered = _unechoed.Keys.Count(k => k > _highestEcho);
            _metrics.Count(MetricNames.MessagesLost, neverAnswered + gaps);
            _unechoed.Clear();
            StopLocked();
        }
    }

    public void Dispose()
    {
        lock (_gate) StopLocked();
    }
}
