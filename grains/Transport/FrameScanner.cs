namespace SimCluster.Transport;

/// <summary>
/// Follows the server-to-client frame stream byte by byte (RFC 6455 section 5.2) without buffering
/// payloads, and reports control frames: a Close (with its code) and PONGs (with up to 8 payload bytes).
/// It lets a client see what the server did even while the WebSocket above it reads nothing (a zombie),
/// and time its own PINGs, which the .NET WebSocket answers and consumes silently.
/// </summary>
public sealed class FrameScanner
{
    private enum Part { Header0, Header1, ExtendedLength, Mask, Payload }

    private Part _part = Part.Header0;
    private int _opcode;
    private bool _masked;
    private int _lengthBytesLeft;
    private long _payloadLeft;
    private int _maskBytesLeft;
    private int _captured;
    private ulong _head; // the first 8 payload bytes of a control frame

    /// <summary>A Close frame arrived; the code is null when the frame had no payload.</summary>
    public event Action<int?>? CloseSeen;

    /// <summary>A PONG arrived with the given first payload bytes (big-endian, as sent) and payload length.</summary>
    public event Action<ulong, int>? PongSeen;

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            switch (_part)
            {
                case Part.Header0:
                    _opcode = b & 0x0F;
                    _part = Part.Header1;
                    break;
                case Part.Header1:
                    _masked = (b & 0x80) != 0;
                    var len = b & 0x7F;
                    _payloadLeft = len < 126 ? len : 0;
                    _lengthBytesLeft = len == 126 ? 2 : len == 127 ? 8 : 0;
                    _part = _lengthBytesLeft > 0 ? Part.ExtendedLength : AfterLength();
                    break;
                case Part.ExtendedLength:
                    _payloadLeft = (_payloadLeft << 8) | b;
                    if (--_lengthBytesLeft == 0) _part = AfterLength();
                    break;
                case Part.Mask:
                    if (--_maskBytesLeft == 0) _part = StartPayload();
                    break;
                case Part.Payload:
                    if (_captured < 8) _head = (_head << 8) | b;
                    _captured++;
                    if (--_payloadLeft == 0) EndFrame();
                    break;
            }
        }
    }

    private Part AfterLength()
    {
        if (!_masked) return StartPayload();
        _maskBytesLeft = 4;
        return Part.Mask;
    }

    private Part StartPayload()
    {
        _captured = 0;
        _head = 0;
        if (_payloadLeft > 0) return Part.Payload;
        EndFrame();
        return _part;
    }

    private void EndFrame()
    {
        switch (_opcode)
        {
            case 0x8:
                var code = _captured >= 2 ? (int?)(int)((_head >> ((Math.Min(_captured, 8) - 2) * 8)) & 0xFFFF) : null;
                CloseSeen?.Invoke(code);
                break;
            case 0xA:
                PongSeen?.Invoke(_head, _captured);
                break;
        }
        _part = Part.Header0;
    }
}
