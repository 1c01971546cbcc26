using System.Buffers.Binary;

namespace SimCluster.Transport.Malformed;

/// <summary>How a frame header encodes its payload length (RFC 6455 section 5.2).</summary>
public enum LengthEncoding
{
    /// <summary>The shortest form, as the RFC requires: 7 bits up to 125, 16 bits up to 65,535, 64 bits above.</summary>
    Minimal,
    /// <summary>Always the 16-bit form (126 + two bytes), even for a short payload.</summary>
    Extended16,
    /// <summary>Always the 64-bit form (127 + eight bytes).</summary>
    Extended64,
}

/// <summary>WebSocket opcodes, including the reserved ones a malformed case may send on purpose.</summary>
public static class Opcode
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    public static bool IsControl(byte opcode) => (opcode & 0x8) != 0;

    public static bool IsKnown(byte opcode) => opcode is Continuation or Text or Binary or Close or Ping or Pong;
}

/// <summary>
/// One frame, described field by field so that any of them may be wrong on purpose: any opcode (reserved
/// ones too), any RSV bits, FIN clear on a control frame, no mask, a non-minimal length encoding, or a
/// declared length that differs from the bytes actually sent (a header announcing a terabyte).
/// </summary>
public sealed record FrameSpec
{
    public byte Opcode { get; init; } = Malformed.Opcode.Text;
    public bool Fin { get; init; } = true;

    /// <summary>RSV bits as they appear in the first byte: RSV1 = 4, RSV2 = 2, RSV3 = 1.</summary>
    public int Rsv { get; init; }

    /// <summary>Clients must mask (RFC 6455 5.3); false sends the payload in clear with MASK = 0.</summary>
    public bool Masked { get; init; } = true;

    /// <summary>The 4-byte masking key; null draws one.</summary>
    public byte[]? MaskKey { get; init; }

    public ReadOnlyMemory<byte> Payload { get; init; }

    public LengthEncoding Encoding { get; init; } = LengthEncoding.Minimal;

    /// <summary>The length written in the header when it must differ from <see cref="Payload"/>'s (the rest is never sent).</summary>
    public ulong? DeclaredLength { get; init; }

    public static FrameSpec Text(string text, bool fin = true) => new() { Opcode = Malformed.Opcode.Text, Payload = System.Text.Encoding.UTF8.GetBytes(text), Fin = fin };

    public static FrameSpec Text(byte[] utf8, bool fin = true) => new() { Opcode = Malformed.Opcode.Text, Payload = utf8, Fin = fin };

    public static FrameSpec Binary(byte[] bytes, bool fin = true) => new() { Opcode = Malformed.Opcode.Binary, Payload = bytes, Fin = fin };

    public static FrameSpec Continuation(byte[] bytes, bool fin) => new() { Opcode = Malformed.Opcode.Continuation, Payload = bytes, Fin = fin };

    public static FrameSpec Ping(byte[] payload) => new() { Opcode = Malformed.Opcode.Ping, Payload = payload };

    public static FrameSpec Ping(string payload) => Ping(System.Text.Encoding.UTF8.GetBytes(payload));

    /// <summary>A Close frame with a status code and reason (no code at all when <paramref name="code"/> is null).</summary>
    public static FrameSpec Close(int? code, string reason = "") => Close(code, System.Text.Encoding.UTF8.GetBytes(reason));

    public static FrameSpec Close(int? code, byte[] reason)
    {
        if (code is null) return new FrameSpec { Opcode = Malformed.Opcode.Close, Payload = Array.Empty<byte>() };
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code.Value);
        reason.CopyTo(payload, 2);
        return new FrameSpec { Opcode = Malformed.Opcode.Close, Payload = payload };
    }

    /// <summary>A Close frame with exactly these payload bytes (a 1-byte payload, an oversize one).</summary>
    public static FrameSpec CloseRaw(byte[] payload) => new() { Opcode = Malformed.Opcode.Close, Payload = payload };

    /// <summary>The bytes on the wire: header, masking key, masked payload.</summary>
    public byte[] ToBytes()
    {
        var length = DeclaredLength ?? (ulong)Payload.Length;
        var encoding = Encoding == LengthEncoding.Minimal
            ? length <= 125 ? (LengthEncoding?)null : length <= ushort.MaxValue ? LengthEncoding.Extended16 : LengthEncoding.Extended64
            : Encoding;
        var headerLength = 2 + encoding switch { LengthEncoding.Extended16 => 2, LengthEncoding.Extended64 => 8, _ => 0 } + (Masked ? 4 : 0);
        var frame = new byte[headerLength + Payload.Length];
        frame[0] = (byte)((Fin ? 0x80 : 0) | ((Rsv & 0x7) << 4) | (Opcode & 0x0F));
        var mask = Masked ? 0x80 : 0;
        var at = 2;
        switch (encoding)
        {
            case LengthEncoding.Extended16:
                frame[1] = (byte)(mask | 126);
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)length);
                at += 2;
                break;
            case LengthEncoding.Extended64:
                frame[1] = (byte)(mask | 127);
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), length);
                at += 8;
                break;
            default:
                frame[1] = (byte)(mask | (int)length);
                break;
        }
        var payload = frame.AsSpan(at + (Masked ? 4 : 0));
        Payload.Span.CopyTo(payload);
        if (Masked)
        {
            var key = MaskKey ?? RandomKey();
            key.AsSpan(0, 4).CopyTo(frame.AsSpan(at));
            for (var i = 0; i < payload.Length; i++) payload[i] ^= key[i & 3];
        }
        return frame;
    }

    private static byte[] RandomKey()
    {
        var key = new byte[4];
        Random.Shared.NextBytes(key);
        return key;
    }
}
