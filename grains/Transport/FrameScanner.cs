namespace SimCluster.Transport;

/// <summary>
/// Follows the server-to-client frame stream (RFC 6455 section 5.2) without buffering payloads: headers are
/// decoded by <see cref="FrameHeaderDecoder"/>, payloads are skipped in bulk. It reports control frames (a Close with its code, PONGs
/// with up to 8 payload bytes) and enforces the tool's maximum message size on receive: the moment a frame
/// header announces a data message (all its fragments together) larger than <see cref="MaxMessageSize"/>,
/// <see cref="Oversized"/> is set, before a single payload byte reaches the WebSocket above. A hostile server
/// that announces a 1 GiB frame therefore costs the client nothing. Given a time limit
/// (<see cref="LimitFragmentTime"/>), it also ends a connection whose server started a fragmented message
/// (a text or binary frame without FIN) and did not finish it within the limit: the WebSocket above would wait
/// for the rest forever, silently, while every message behind it is counted lost.
/// </summary>
public sealed class FrameScanner
{
    /// <summary>The default receive limit: 16 MiB, the largest message a scenario can send.</summary>
    public const long DefaultMaxMessageSize = 16 * 1024 * 1024;

    private readonly FrameHeaderDecoder _header = new();
    private bool _inPayload;
    private int _opcode;
    private bool _fin;
    private long _payloadLeft;
    private int _captured;
    private ulong _head; // the first 8 payload bytes of a control frame
    private long _messageSoFar; // payload bytes of the data message being received, all fragments so far

    // The fragmented-message clock. Its timer fires on another thread than Feed: both take the gate.
    private readonly object _fragmentGate = new();
    private TimeProvider? _time;
    private Action? _endStalled;
    private ITimer? _fragmentTimer;
    private long _fragmentGeneration; // a timer of an earlier message that fires late finds another generation
    private volatile bool _fragmentStalled;

    public FrameScanner(long maxMessageSize = DefaultMaxMessageSize) => MaxMessageSize = maxMessageSize;

    /// <summary>Largest data message (text or binary, all fragments) accepted from the server.</summary>
    public long MaxMessageSize { get; }

    /// <summary>The announced size of the first message over the limit; null while every message fits.</summary>
    public long? Oversized { get; private set; }

    /// <summary>How long a fragmented message may stay unfinished after its first frame; null: no limit.</summary>
    public TimeSpan? FragmentTimeLimit { get; private set; }

    /// <summary>A fragmented message stayed unfinished past <see cref="FragmentTimeLimit"/>, and the connection was ended.</summary>
    public bool FragmentStalled => _fragmentStalled;

    /// <summary>
    /// From now on a fragmented message still unfinished <paramref name="limit"/> after its first frame's header
    /// (by <paramref name="time"/>) sets <see cref="FragmentStalled"/> and calls <paramref name="end"/> (which
    /// resets the connection). Control frames between the fragments neither stop nor restart the clock.
    /// </summary>
    public void LimitFragmentTime(TimeProvider time, TimeSpan limit, Action end)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero);
        lock (_fragmentGate)
        {
            _time = time;
            _endStalled = end;
            FragmentTimeLimit = limit;
        }
    }

    /// <summary>True while part of a frame has been seen and the rest has not (a connection ending now ends mid-frame).</summary>
    public bool MidFrame => _inPayload || _header.InProgress;

    /// <summary>A Close frame arrived; the code is null when the frame had no payload.</summary>
    public event Action<int?>? CloseSeen;

    /// <summary>A PONG arrived with the given first payload bytes (big-endian, as sent) and payload length.</summary>
    public event Action<ulong, int>? PongSeen;

    /// <summary>Follows the bytes; returns false (and stops following) once a message is over the limit.</summary>
    public bool Feed(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (Oversized is not null) return false;
            if (!_inPayload)
            {
                i += _header.Feed(bytes[i..], out var header);
                if (header is { } h) StartFrame(h);
                continue;
            }
            if (_opcode < 0x8)
            {
                // Data payload: nothing to look at, skip it in bulk.
                var skip = (int)Math.Min(_payloadLeft, bytes.Length - i);
                i += skip;
                _payloadLeft -= skip;
            }
            else
            {
                if (_captured < 8) _head = (_head << 8) | bytes[i];
                _captured++;
                i++;
                _payloadLeft--;
            }
            if (_payloadLeft == 0) EndFrame();
        }
        return Oversized is null;
    }

    private void StartFrame(FrameHeader header)
    {
        _fin = header.Fin;
        _opcode = header.Opcode;
        // A 64-bit length with the top bit set is over any limit.
        _payloadLeft = header.PayloadLength > long.MaxValue ? long.MaxValue : (long)header.PayloadLength;
        if (_opcode < 0x8)
        {
            // A data frame: a new message (text 0x1, binary 0x2) or one more fragment of it (continuation 0x0).
            if (_opcode != 0x0) _messageSoFar = 0;
            if (_opcode != 0x0 && !_fin) StartFragmentClock();
            _messageSoFar = header.PayloadLength > long.MaxValue || _messageSoFar + _payloadLeft < 0 ? long.MaxValue : _messageSoFar + _payloadLeft;
            if (_messageSoFar > MaxMessageSize)
            {
                Oversized = _messageSoFar;
                return;
            }
        }
        _captured = 0;
        _head = 0;
        if (_payloadLeft > 0) _inPayload = true;
        else EndFrame();
    }

    private void EndFrame()
    {
        _inPayload = false;
        switch (_opcode)
        {
            case 0x8:
                var code = _captured >= 2 ? (int?)(int)((_head >> ((Math.Min(_captured, 8) - 2) * 8)) & 0xFFFF) : null;
                CloseSeen?.Invoke(code);
                break;
            case 0xA:
                PongSeen?.Invoke(_head, _captured);
                break;
            case < 0x8 when _fin:
                StopFragmentClock(); // the last fragment is in: the message is whole
                break;
        }
    }

    private void StartFragmentClock()
    {
        lock (_fragmentGate)
        {
            // A second first-frame inside a fragmented message is a protocol error the WebSocket fails; the
            // clock keeps the first one's start either way.
            if (_time is null || _fragmentTimer is not null || _fragmentStalled) return;
            var generation = ++_fragmentGeneration;
            _fragmentTimer = _time.CreateTimer(_ => Stall(generation), null, FragmentTimeLimit!.Value, Timeout.InfiniteTimeSpan);
        }
    }

    private void StopFragmentClock()
    {
        lock (_fragmentGate)
        {
            _fragmentTimer?.Dispose();
            _fragmentTimer = null;
            _fragmentGeneration++;
        }
    }

    private void Stall(long generation)
    {
        Action? end;
        lock (_fragmentGate)
        {
            if (generation != _fragmentGeneration || _fragmentTimer is null) return;
            _fragmentTimer.Dispose();
            _fragmentTimer = null;
            _fragmentStalled = true; // before the reset, so the failed read is classified by it
            end = _endStalled;
        }
        end?.Invoke();
    }
}
