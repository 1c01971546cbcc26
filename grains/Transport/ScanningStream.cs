namespace SimCluster.Transport;

/// <summary>
/// The frame scanner's place over TLS (<c>wss://</c>). There the <see cref="FaultStream"/> under the TLS
/// stream carries ciphertext, so the server's frames can only be followed above the decryption: this thin
/// stream sits between the TLS stream and the WebSocket and feeds every decrypted byte to the fault stream's
/// <see cref="FrameScanner"/>. A frame header announcing a message over the maximum message size resets the
/// connection before any of its payload reaches the WebSocket, as on plain connections, whichever driver
/// sits above. It also hands the WebSocket the bytes read past the upgrade response (a server may send its
/// first frame in the same TLS record as the 101).
/// </summary>
internal sealed class ScanningStream(Stream decrypted, FaultStream faults) : Stream
{
    private byte[]? _prefix;
    private int _prefixOffset;

    /// <summary>Bytes that were read past the end of the HTTP upgrade response belong to the WebSocket.</summary>
    public void PushBack(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        _prefix = bytes.ToArray();
        _prefixOffset = 0;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        if (_prefix is not null)
        {
            n = Math.Min(buffer.Length, _prefix.Length - _prefixOffset);
            _prefix.AsSpan(_prefixOffset, n).CopyTo(buffer.Span);
            _prefixOffset += n;
            if (_prefixOffset == _prefix.Length) _prefix = null;
        }
        else
        {
            n = await decrypted.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        if (!faults.Scanner.Feed(buffer.Span[..n])) throw faults.RefuseOversized();
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        decrypted.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        decrypted.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => decrypted.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => decrypted.FlushAsync(cancellationToken);
    public override void Flush() => decrypted.Flush();

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) decrypted.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await decrypted.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
