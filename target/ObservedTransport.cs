using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.Features;

namespace SimCluster.Target;

/// <summary>
/// Wraps Kestrel's upgrade feature so the WebSocket runs over an <see cref="ObservedStream"/>. ManagedWebSocket
/// reports neither the close code it sends on its own (1002 framing error, 1007 bad UTF-8) nor why it aborted
/// itself (keep-alive timeout); the stream sees both. ASP.NET Core puts its AbortStream on top of this one,
/// which calls HttpContext.Abort (RST) when an aborted WebSocket is disposed.
/// </summary>
internal sealed class ObservedUpgradeFeature(IHttpUpgradeFeature inner, Func<ClientFrameGuard>? guard = null) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public ObservedStream? Stream { get; private set; }

    public async Task<Stream> UpgradeAsync()
    {
        var stream = await inner.UpgradeAsync().ConfigureAwait(false);
        Stream = new ObservedStream(stream, guard?.Invoke());
        return Stream;
    }
}

/// <summary>
/// Pass-through stream that records the server's Close frame and whether the socket aborted itself, and runs
/// every byte the client sends through the <see cref="ClientFrameGuard"/> (limits ManagedWebSocket lacks).
/// </summary>
internal sealed class ObservedStream(Stream inner, ClientFrameGuard? guard = null) : Stream
{
    private const byte CloseFrameFirstByte = 0x88; // FIN + opcode 8, as ManagedWebSocket writes it (no extensions)

    private readonly CancellationTokenSource _abort = new();
    private int _serverCloseCode;
    private int _innerFailed;
    private int _disposed;
    private int _abortedWhileHealthy;

    private static readonly TimeSpan ClosedFirstGrace = TimeSpan.FromMilliseconds(250);

    /// <summary>Sees every client byte read; null when the stream was built without limits.</summary>
    public ClientFrameGuard? Guard => guard;

    /// <summary>The underlying Kestrel stream; still readable after the WebSocket disposed this wrapper.</summary>
    public Stream Inner => inner;

    /// <summary>Code of the first Close frame the server wrote (1005 when it had none), or null.</summary>
    public int? ServerCloseCode
    {
        get
        {
            var code = Volatile.Read(ref _serverCloseCode);
            return code == 0 ? null : code;
        }
    }

    /// <summary>The WebSocket disposed the stream while the transport was healthy: it gave up on its own (keep-alive timeout).</summary>
    public bool AbortedWhileHealthy => Volatile.Read(ref _abortedWhileHealthy) != 0;

    /// <summary>The peer reset or closed the TCP connection (read error, EOF, or write error).</summary>
    public bool PeerFailed => Volatile.Read(ref _innerFailed) != 0;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return ValueTask.FromException<int>(new ObjectDisposedException(nameof(ObservedStream)));
        }

        return ReadCoreAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // Our own token lets Dispose end a pending read, as disposing Kestrel's stream would.
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token) : null;
        try
        {
            var read = await inner.ReadAsync(buffer, linked?.Token ?? _abort.Token).ConfigureAwait(false);
            if (read > 0)
            {
                guard?.Feed(buffer.Span[..read]);
            }

            if (read == 0 && buffer.Length > 0)
            {
                Interlocked.Exchange(ref _innerFailed, 1);
            }

            return read;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Peer reset or I/O error. Cancellation (ours, or Kestrel's ConnectionAbortedException after
            // HttpContext.Abort) means this side gave up, not the peer.
            Interlocked.Exchange(ref _innerFailed, 1);
            throw;
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // ManagedWebSocket writes each frame (header + payload) in one call, so a frame starts every write.
        var span = buffer.Span;
        if (span.Length >= 2 && span[0] == CloseFrameFirstByte)
        {
            var code = span.Length >= 4 && (span[1] & 0x7F) >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(span[2..]) : 1005;
            Interlocked.CompareExchange(ref _serverCloseCode, code, 0);
            guard?.MarkServerClose();
        }

        var write = inner.WriteAsync(buffer, cancellationToken);
        return write.IsCompletedSuccessfully ? write : AwaitWriteAsync(write);
    }

    private async ValueTask AwaitWriteAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Exchange(ref _innerFailed, 1);
            throw;
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Ends pending reads but leaves Kestrel's stream alone: the request handler returning closes the connection.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (Volatile.Read(ref _innerFailed) == 0)
            {
                Interlocked.Exchange(ref _abortedWhileHealthy, 1);
            }

            _abort.Cancel();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// After the server's Close frame when the WebSocket can no longer read: discard client frames until the
    /// client's Close frame (or EOF, or <paramref name="timeout"/>), so the connection ends with FIN, not RST.
    /// </summary>
    public async Task DrainUntilCloseFrameAsync(TimeSpan timeout)
    {
        if (guard is not null)
        {
            await DrainWithGuardAsync(guard, timeout).ConfigureAwait(false);
            return;
        }

        using var cts = new CancellationTokenSource(timeout);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var have = 0;
        long skip = 0;
        try
        {
            while (true)
            {
                var read = await inner.ReadAsync(buffer.AsMemory(have), cts.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                have += read;
                var pos = 0;
                while (true)
                {
                    if (skip > 0)
                    {
                        var n = (int)Math.Min(skip, have - pos);
                        pos += n;
                        skip -= n;
                        if (skip > 0)
                        {
                            break;
                        }
                    }

                    if (have - pos < 2)
                    {
                        break;
                    }

                    var b0 = buffer[pos];
                    var b1 = buffer[pos + 1];
                    var len7 = b1 & 0x7F;
                    var header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
                    if ((b0 & 0x0F) == 0x8)
                    {
                        return;
                    }

                    if (have - pos < header)
                    {
                        break;
                    }

                    var payload = len7 < 126 ? len7
                        : len7 == 126 ? BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(pos + 2))
                        : (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(pos + 2)), long.MaxValue);
                    pos += header;
                    skip = payload;
                }

                buffer.AsSpan(pos, have - pos).CopyTo(buffer);
                have -= pos;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Deadline or peer gone (Kestrel's ConnectionAborted/Reset exceptions derive from these): the connection ends now.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The same wait, but frame-aligned: the guard has followed every byte read so far (including those the
    /// WebSocket buffered but never handed out), so it knows where the client's Close frame starts even in the
    /// middle of a message, and skips payloads without decoding (or inflating) them. A Close the client sent
    /// before the server's (a broken one, say) is no answer: then it waits a short grace for EOF.
    /// </summary>
    private async Task DrainWithGuardAsync(ClientFrameGuard frames, TimeSpan timeout)
    {
        // The client closed first (a broken Close, answered with 1002): the handshake is complete, so only give
        // our Close frame a moment on the wire before the connection ends.
        using var cts = new CancellationTokenSource(frames.ClientClosedFirst ? ClosedFirstGrace : timeout);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (!frames.ClientAnsweredClose)
            {
                var read = await inner.ReadAsync(buffer.AsMemory(), cts.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                frames.Feed(buffer.AsSpan(0, read));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Deadline or peer gone: the connection ends now.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
