using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SimCluster.Transport;

/// <summary>
/// Writes RFC 6455 client frames (always masked) for the paths that send without the .NET WebSocket: the
/// lean driver's text messages over plain ws:// and the heartbeat's PINGs. The payload is written first, at
/// <see cref="MaxHeaderLength"/>, and the header is put in front of it, so a frame costs no copy.
/// </summary>
public static class ClientFrames
{
    public const int MaxHeaderLength = 14;
    public const byte Text = 0x1;
    public const byte Ping = 0x9;

    /// <summary>
    /// Masks <paramref name="payloadLength"/> bytes at <c>buffer[MaxHeaderLength..]</c> and writes a final
    /// frame's header with <paramref name="opcode"/> just before them; returns where the frame starts.
    /// </summary>
    public static int MaskInPlace(Span<byte> buffer, int payloadLength, byte opcode)
    {
        var lengthBytes = payloadLength < 126 ? 0 : payloadLength <= ushort.MaxValue ? 2 : 8;
        var start = MaxHeaderLength - (2 + lengthBytes + 4);
        var header = buffer[start..MaxHeaderLength];
        header[0] = (byte)(0x80 | opcode); // FIN
        switch (lengthBytes)
        {
            case 0: header[1] = (byte)(0x80 | payloadLength); break;
            case 2: header[1] = 0x80 | 126; BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)payloadLength); break;
            default: header[1] = 0x80 | 127; BinaryPrimitives.WriteUInt64BigEndian(header[2..], (ulong)payloadLength); break;
        }
        var mask = header[^4..];
        MaskKeys.Next(mask);
        Apply(mask, buffer.Slice(MaxHeaderLength, payloadLength));
        return start;
    }

    private static void Apply(ReadOnlySpan<byte> mask, Span<byte> payload)
    {
        // Eight bytes at a time: every 8-byte block starts at a multiple of 4, where the mask starts over.
        Span<byte> twice = stackalloc byte[8];
        mask.CopyTo(twice);
        mask.CopyTo(twice[4..]);
        var wide = MemoryMarshal.Read<ulong>(twice);
        var blocks = payload.Length & ~7;
        foreach (ref var block in MemoryMarshal.Cast<byte, ulong>(payload[..blocks])) block ^= wide;
        for (var i = blocks; i < payload.Length; i++) payload[i] ^= mask[i & 3];
    }

    /// <summary>
    /// Masking keys from the system's cryptographic generator (RFC 6455 §5.3 asks for a strong source), drawn
    /// 1,024 keys at a time per thread: one generator call per message cost 3 % of the tool's CPU.
    /// </summary>
    private static class MaskKeys
    {
        [ThreadStatic] private static byte[]? t_keys;
        [ThreadStatic] private static int t_next;

        public static void Next(Span<byte> key)
        {
            var keys = t_keys ??= new byte[4096];
            if (t_next == 0) RandomNumberGenerator.Fill(keys);
            keys.AsSpan(t_next, 4).CopyTo(key);
            t_next = (t_next + 4) % keys.Length;
        }
    }
}
