namespace SimCluster.Transport.Malformed;

public enum ServerEventKind
{
    /// <summary>A complete data message (all its fragments), or a frame with a reserved opcode.</summary>
    Message,
    Ping,
    Pong,
    Close,
    /// <summary>The server closed its side of the TCP connection (FIN).</summary>
    Eof,
    /// <summary>The TCP connection was reset (RST) or failed.</summary>
    Reset,
}

/// <summary>
/// Something the server did, as seen on the raw socket. Payloads are never kept whole: a message is known by
/// its length, a 64-bit FNV-1a hash of all its bytes and its first bytes, so a hostile server cannot make the
/// reader allocate more than a few hundred bytes per event.
/// </summary>
public sealed record ServerEvent
{
    public required ServerEventKind Kind { get; init; }

    /// <summary><see cref="TimeProvider"/> timestamp of the event.</summary>
    public required long At { get; init; }

    /// <summary>The opcode of the (first) frame.</summary>
    public byte Opcode { get; init; }

    /// <summary>Payload length (all fragments of a message together).</summary>
    public long Length { get; init; }

    /// <summary>FNV-1a 64 of the whole payload (after unmasking, before any decompression).</summary>
    public ulong Hash { get; init; }

    /// <summary>The first payload bytes (up to 64 for messages, 256 for control frames).</summary>
    public byte[] Head { get; init; } = [];

    /// <summary>Fragments of a message.</summary>
    public int Frames { get; init; } = 1;

    /// <summary>RSV bits of the first frame (RSV1 = 4).</summary>
    public int Rsv { get; init; }

    /// <summary>Close frames: the status code, null when the payload was empty (or a single byte).</summary>
    public int? CloseCode { get; init; }

    public string? CloseReason { get; init; }

    /// <summary>What the server did wrong in this frame, if anything (masked, reserved opcode, RSV bits, ...).</summary>
    public string? Anomaly { get; init; }

    public bool IsEnd => Kind is ServerEventKind.Eof or ServerEventKind.Reset;

    public override string ToString() => Kind switch
    {
        ServerEventKind.Close => CloseCode is { } c ? $"close {c}" : Length == 0 ? "close (no code)" : $"close (malformed {Length}-byte payload)",
        ServerEventKind.Message => $"{(Opcode == Malformed.Opcode.Text ? "text" : Opcode == Malformed.Opcode.Binary ? "binary" : $"opcode 0x{Opcode:X}")} message of {Length} bytes",
        ServerEventKind.Eof => "TCP FIN",
        ServerEventKind.Reset => "TCP RST",
        _ => Kind.ToString().ToUpperInvariant(),
    };
}

/// <summary>FNV-1a, 64 bits: cheap, streaming, good enough to tell an exact echo from anything else.</summary>
public struct Fnv64
{
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    private ulong _hash;
    private bool _started;

    public readonly ulong Value => _started ? _hash : Offset;

    public void Add(byte b)
    {
        if (!_started) { _hash = Offset; _started = true; }
        _hash = (_hash ^ b) * Prime;
    }

    public void Add(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) Add(b);
    }

    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        var h = new Fnv64();
        h.Add(bytes);
        return h.Value;
    }
}
