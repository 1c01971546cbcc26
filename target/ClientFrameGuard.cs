namespace SimCluster.Target;

/// <summary>
/// Follows the client-to-server frame stream header by header (payloads are skipped, never buffered) and
/// enforces what ManagedWebSocket does not: the minimal length encoding (RFC 6455 5.2, close 1002), a frame
/// larger than the message limit rejected from its header alone (1009, before a byte of it is read), a cap on
/// the fragments of one message (1008) and on PINGs per second (1008). The first violation is reported once;
/// the connection then closes through the normal path. Also tells when the client's Close frame has begun,
/// so the server can wait for it on the raw stream without decoding anything.
/// </summary>
internal sealed class ClientFrameGuard(long maxFrameBytes, int maxFragments, int maxPingsPerSecond)
{
    private enum Part { Header0, Header1, ExtendedLength, Mask, Payload }

    private Part _part = Part.Header0;
    private bool _fin;
    private int _opcode;
    private int _lengthBytes;
    private int _lengthBytesLeft;
    private ulong _length;
    private int _maskLeft;
    private ulong _payloadLeft;
    private int _fragments;
    private long _pingWindowStart;
    private int _pingsInWindow;
    private Action<int, string>? _onViolation;

    /// <summary>The first violation found: close code and reason.</summary>
    public (int Code, string Reason)? Violation { get; private set; }

    /// <summary>Complete Close frames received from the client.</summary>
    public int ClientCloses => Volatile.Read(ref _clientCloses);

    private int _clientCloses;
    private int _clientClosesStarted;
    private int _closesAtServerClose = -1;

    /// <summary>The server wrote its Close frame: from now on, a client Close that starts is the answer to it.</summary>
    public void MarkServerClose() => Interlocked.CompareExchange(ref _closesAtServerClose, Volatile.Read(ref _clientClosesStarted), -1);

    /// <summary>The client sent a Close before the server's: the close handshake is complete once the server's Close is out.</summary>
    public bool ClientClosedFirst => Volatile.Read(ref _closesAtServerClose) > 0;

    /// <summary>The client has answered the server's Close (or sent its own after it).</summary>
    public bool ClientAnsweredClose => Volatile.Read(ref _closesAtServerClose) is var at and >= 0 && ClientCloses > at;

    /// <summary>Called once with the first violation (at once if it already happened).</summary>
    public void OnViolation(Action<int, string> handler)
    {
        _onViolation = handler;
        if (Violation is { } v) handler(v.Code, v.Reason);
    }

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            switch (_part)
            {
                case Part.Header0:
                    _fin = (bytes[i] & 0x80) != 0;
                    _opcode = bytes[i] & 0x0F;
                    if (_opcode == 0x8) Interlocked.Increment(ref _clientClosesStarted);
                    i++;
                    _part = Part.Header1;
                    break;
                case Part.Header1:
                    _maskLeft = (bytes[i] & 0x80) != 0 ? 4 : 0;
                    var len = bytes[i] & 0x7F;
                    i++;
                    _length = len < 126 ? (ulong)len : 0;
                    _lengthBytes = _lengthBytesLeft = len == 126 ? 2 : len == 127 ? 8 : 0;
                    _part = _lengthBytesLeft > 0 ? Part.ExtendedLength : HeaderDone();
                    break;
                case Part.ExtendedLength:
                    _length = (_length << 8) | bytes[i++];
                    if (--_lengthBytesLeft == 0) _part = HeaderDone();
                    break;
                case Part.Mask:
                    i++;
                    if (--_maskLeft == 0) _part = StartPayload();
                    break;
                case Part.Payload:
                    var take = (int)Math.Min((ulong)(bytes.Length - i), _payloadLeft);
                    i += take;
                    _payloadLeft -= (ulong)take;
                    if (_payloadLeft == 0) _part = FrameDone();
                    break;
            }
        }
    }

    private Part HeaderDone()
    {
        Check();
        return _maskLeft > 0 ? Part.Mask : StartPayload();
    }

    private Part StartPayload()
    {
        _payloadLeft = _length;
        return _payloadLeft > 0 ? Part.Payload : FrameDone();
    }

    private Part FrameDone()
    {
        if (_opcode == 0x8) Interlocked.Increment(ref _clientCloses);
        return Part.Header0;
    }

    private void Check()
    {
        var control = (_opcode & 0x8) != 0;
        var mostSignificantBit = _lengthBytes == 8 && (_length >> 63) != 0; // ManagedWebSocket fails these itself (1002)
        if ((_lengthBytes == 2 && _length < 126) || (_lengthBytes == 8 && !mostSignificantBit && _length <= ushort.MaxValue))
        {
            Fail(1002, "non-minimal payload length encoding");
        }
        else if (!control && !mostSignificantBit && _length > (ulong)maxFrameBytes)
        {
            Fail(1009, "frame larger than the message limit");
        }

        if (!control)
        {
            _fragments = _opcode == 0x0 ? _fragments + 1 : 1;
            if (!_fin && maxFragments > 0 && _fragments > maxFragments) Fail(1008, "too many fragments in one message");
            if (_fin) _fragments = 0;
        }
        else if (_opcode == 0x9 && maxPingsPerSecond > 0)
        {
            var now = Environment.TickCount64;
            if (now - _pingWindowStart >= 1000)
            {
                _pingWindowStart = now;
                _pingsInWindow = 0;
            }
            if (++_pingsInWindow > maxPingsPerSecond) Fail(1008, "PING flood");
        }
    }

    private void Fail(int code, string reason)
    {
        if (Violation is not null) return;
        Violation = (code, reason);
        _onViolation?.Invoke(code, reason);
    }
}
