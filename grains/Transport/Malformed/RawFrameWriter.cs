namespace SimCluster.Transport.Malformed;

/// <summary>
/// Writes whatever bytes a case wants onto the connection's stream (the <see cref="FaultStream"/>, or TLS over
/// it), so link faults and source addresses apply to malformed traffic as to any other. Frames go out whole;
/// <see cref="DribbleAsync"/> sends byte by byte to test a server's reassembly.
/// </summary>
public sealed class RawFrameWriter(Stream stream, TimeProvider time)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public long BytesWritten { get; private set; }

    public Task SendAsync(FrameSpec frame, CancellationToken ct) => SendRawAsync(frame.ToBytes(), ct);

    /// <summary>Several frames in one write (one TCP segment where they fit), as a fast client would send them.</summary>
    public Task SendAsync(IEnumerable<FrameSpec> frames, CancellationToken ct) =>
        SendRawAsync(frames.SelectMany(f => f.ToBytes()).ToArray(), ct);

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
            BytesWritten += bytes.Length;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends <paramref name="bytes"/> one byte per write, <paramref name="gap"/> apart.</summary>
    public async Task DribbleAsync(ReadOnlyMemory<byte> bytes, TimeSpan gap, CancellationToken ct)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            await SendRawAsync(bytes.Slice(i, 1), ct).ConfigureAwait(false);
            if (gap > TimeSpan.Zero && i < bytes.Length - 1) await Task.Delay(gap, time, ct).ConfigureAwait(false);
        }
    }
}
