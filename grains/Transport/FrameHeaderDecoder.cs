namespace SimCluster.Transport;

/// <summary>One RFC 6455 frame header (section 5.2). A 64-bit length with its top bit set is kept as sent.</summary>
public readonly record struct FrameHeader(bool Fin, int Rsv, int Opcode, bool Masked, ulong PayloadLength, uint MaskKey)
{
    /// <summary>Close, PING, PONG and the reserved control opcodes (0x8 and up).</summary>
    public bool IsControl => Opcode >= 0x8;

    /// <summary>The masking key's byte <paramref name="index"/> (0-3), in the order it was sent.</summary>
    public byte MaskByte(int index) => (byte)(MaskKey >> ((3 - index) * 8));
}

/// <summary>
/// Decodes frame headers from a byte stream in pieces of any size, keeping its place between calls: the one
/// decoder of server frames, for the frame scanner under every connection and for the malformed cases' reader.
/// It never looks at a payload; the caller skips or reads <see cref="FrameHeader.PayloadLength"/> bytes, then
/// feeds the next header.
/// </summary>
public sealed class FrameHeaderDecoder
{
    private enum Part { First, Second, ExtendedLength, Mask }

    private Part _part = Part.First;
    private byte _first;
    private bool _masked;
    private int _lengthBytesLeft;
    private ulong _length;
    private int _maskBytesLeft;
    private uint _mask;

    /// <summary>True while part of a header has been read and the rest has not.</summary>
    public bool InProgress => _part != Part.First;

    /// <summary>
    /// Reads header bytes from <paramref name="bytes"/> until a header is complete (<paramref name="header"/> then
    /// holds it, and the bytes after it are the payload) or the bytes run out; returns how many it read.
    /// </summary>
    public int Feed(ReadOnlySpan<byte> bytes, out FrameHeader? header)
    {
        header = null;
        var i = 0;
        while (i < bytes.Length)
        {
            var b = bytes[i++];
            switch (_part)
            {
                case Part.First:
                    _first = b;
                    _part = Part.Second;
                    continue;
                case Part.Second:
                    _masked = (b & 0x80) != 0;
                    var length = b & 0x7F;
                    _length = length < 126 ? (ulong)length : 0;
                    _lengthBytesLeft = length == 126 ? 2 : length == 127 ? 8 : 0;
                    _maskBytesLeft = _masked ? 4 : 0;
                    _mask = 0;
                    _part = _lengthBytesLeft > 0 ? Part.ExtendedLength : Part.Mask;
                    break;
                case Part.ExtendedLength:
                    _length = (_length << 8) | b;
                    if (--_lengthBytesLeft == 0) _part = Part.Mask;
                    break;
                case Part.Mask:
                    _mask = (_mask << 8) | b;
                    _maskBytesLeft--;
                    break;
            }
            if (_part == Part.Mask && _maskBytesLeft == 0)
            {
                header = new FrameHeader((_first & 0x80) != 0, (_first >> 4) & 0x7, _first & 0x0F, _masked, _length, _mask);
                _part = Part.First;
                return i;
            }
        }
        return i;
    }
}
