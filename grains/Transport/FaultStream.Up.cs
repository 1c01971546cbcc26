using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SimCluster.Transport;

/// <summary>
/// The fault stream's writes: each write is shaped by the up faults; one that is due at once and has nothing
/// queued before it goes straight to the socket, the rest wait in a queue that one pump drains in order.
/// </summary>
public sealed partial class FaultStream
{
    /// <summary>How many delayed bytes may wait to be sent before writers wait too (a socket send buffer).</summary>
    private const int MaxQueuedUpBytes = 256 * 1024;

    // Delayed writes: a queue drained by one pump at a time.
    private readonly Queue<(long Release, byte[] Buffer, int Count)> _upQueue = new();
    private bool _upPumpRunning;
    private int _upQueuedBytes;
    private TaskCompletionSource? _upSpace;

    // Every message goes through these reads and writes: their state machines come from a pool
    // (PoolingAsyncValueTaskMethodBuilder) instead of one allocation per message that waits on the socket.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_tls is { } tls) await tls.WriteAsync(buffer, cancellationToken).ConfigureAwait(false); // its records come back through TlsWire
            else await WriteShapedAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally { _writeGate.Release(); }
    }

    /// <summary>
    /// Sends a client PING (masked, as RFC 6455 requires of clients) carrying <paramref name="payload"/>; the
    /// server's PONG echoes it, and <see cref="Scanner"/> reports it.
    /// </summary>
    public ValueTask SendPingAsync(ulong payload, CancellationToken cancellationToken = default)
    {
        var frame = new byte[ClientFrames.MaxHeaderLength + 8];
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(ClientFrames.MaxHeaderLength), payload);
        var start = ClientFrames.MaskInPlace(frame, 8, ClientFrames.Ping);
        return WriteAsync(frame.AsMemory(start), cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteShapedAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_aborted) throw new IOException("The connection was reset.");
        if (buffer.IsEmpty) return;
        var now = _time.GetTimestamp();
        var release = Schedule(_up, buffer.Length, now, ref _lastUpRelease);
        if (release is null) return; // blackholed: the bytes are lost on the way
        BytesWritten += buffer.Length;

        Task? waitForSpace = null;
        lock (_upQueue)
        {
            if (release <= now && _upQueue.Count == 0 && !_upPumpRunning)
            {
                // Nothing to wait for: write straight through (the common, unshaped case).
            }
            else
            {
                var copy = ArrayPool<byte>.Shared.Rent(buffer.Length);
                buffer.Span.CopyTo(copy);
                _upQueue.Enqueue((release.Value, copy, buffer.Length));
                _upQueuedBytes += buffer.Length;
                if (!_upPumpRunning)
                {
                    _upPumpRunning = true;
                    _ = PumpUpAsync();
                }
                if (_upQueuedBytes > MaxQueuedUpBytes)
                {
                    _upSpace ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    waitForSpace = _upSpace.Task;
                }
                buffer = ReadOnlyMemory<byte>.Empty;
            }
        }

        if (!buffer.IsEmpty)
        {
            await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        else if (waitForSpace is not null)
        {
            await waitForSpace.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PumpUpAsync()
    {
        try
        {
            while (true)
            {
                (long Release, byte[] Buffer, int Count) item;
                lock (_upQueue)
                {
                    if (!_upQueue.TryPeek(out item))
                    {
                        _upPumpRunning = false;
                        return;
                    }
                }
                await DelayUntilAsync(item.Release).ConfigureAwait(false);
                if (!UpBlackhole.IsActive)
                {
                    await _socket.SendAsync(item.Buffer.AsMemory(0, item.Count), SocketFlags.None, _disposed.Token).ConfigureAwait(false);
                }
                lock (_upQueue)
                {
                    _upQueue.Dequeue();
                    _upQueuedBytes -= item.Count;
                    if (_upSpace is not null && _upQueuedBytes <= MaxQueuedUpBytes / 2)
                    {
                        _upSpace.TrySetResult();
                        _upSpace = null;
                    }
                }
                ArrayPool<byte>.Shared.Return(item.Buffer);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            lock (_upQueue)
            {
                _upPumpRunning = false;
                _upSpace?.TrySetException(new IOException("The connection is gone.", e));
                _upSpace = null;
            }
        }
    }

}
