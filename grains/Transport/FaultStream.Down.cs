using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SimCluster.Transport;

/// <summary>
/// The fault stream's reads: unshaped links read the socket directly; shaped ones through a pump that reads the
/// socket, scans each chunk on arrival and queues it with its release time (back-pressure while the queue is full).
/// </summary>
public sealed partial class FaultStream
{
    private int _readsInARow;
    private const int MaxReadsInARow = 64;

    /// <summary>True while the receive queue is full and the socket is watched instead of read.</summary>
    internal bool DownPaused => _downPaused;

    // Shaped reads: a pump reads the socket, scans each chunk as it arrives, and queues it with its release time.
    private readonly Queue<(long Release, byte[] Buffer, int Count)> _downQueue = new();
    private bool _downPumpStarted;
    private int _downQueuedBytes;
    private bool _downEnded;
    private bool _downFailed;
    private TaskCompletionSource? _downArrived;
    private TaskCompletionSource? _downSpace;
    private (long Release, byte[] Buffer, int Offset, int Count)? _downCurrent;
    private volatile bool _downPaused;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_size.AtRead() is { } refusal) return ValueTask.FromException<int>(refusal);
        if (_prefix is not null)
        {
            // Scanned when scanning started.
            var n = Math.Min(buffer.Length, _prefix.Length - _prefixOffset);
            _prefix.AsSpan(_prefixOffset, n).CopyTo(buffer.Span);
            _prefixOffset += n;
            if (_prefixOffset == _prefix.Length) _prefix = null;
            return ValueTask.FromResult(n);
        }
        return _downShaped ? ReadShapedAsync(buffer, cancellationToken) : ReadDirectAsync(buffer, cancellationToken);
    }

    private bool DownBlocked => DownBlackhole.IsActive || FrozenReads.IsActive;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadDirectAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            int n;
            try
            {
                var read = ReceiveAsync(buffer, cancellationToken);
                var waited = !read.IsCompleted;
                if (waited) _readsInARow = 0;
                else if (++_readsInARow == MaxReadsInARow)
                {
                    // A server that floods keeps every read completing at once, so the whole read chain above
                    // (WebSocket, Websocket.Client's receive loop) never leaves this thread, and whatever waits for
                    // that chain to yield (Websocket.Client's start) waits until the flood stops. Let go now and then.
                    _readsInARow = 0;
                    await Task.Yield();
                }
                n = await read.ConfigureAwait(false);
                // Until the upgrade is done, what follows a read (parsing the response, setting the client up) is a
                // connect's work: it leaves the socket engine's thread, which completions run on (SocketCompletions).
                if (waited && !_scanning) await Task.Yield();
                // A zero-byte read (the lean driver's idle wait) only says that bytes, or the end, are waiting: the
                // read that follows takes them, and sees the end if that is what it was.
                if (buffer.IsEmpty) return 0;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException || e is IOException && _tls is not null)
            {
                _peer.SocketEnded();
                if (DownBlocked) return await HangAsync(cancellationToken).ConfigureAwait(false);
                throw new IOException("The connection was reset by the peer.", e);
            }
            if (n == 0)
            {
                _peer.SocketEnded();
                if (DownBlocked) return await HangAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
            if (_scanning && !Scanner.Feed(buffer.Span[..n])) throw _size.Refuse();
            if (DownBlocked) continue; // drained and discarded: the application never sees it
            BytesRead += n;
            return n;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadShapedAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_size.Refusal is { } refused) throw refused;
            if (_downCurrent is not { } current)
            {
                Task? arrival = null;
                bool ended;
                lock (_downQueue)
                {
                    if (!_downPumpStarted)
                    {
                        _downPumpStarted = true;
                        _ = PumpDownAsync();
                    }
                    ended = _downEnded && _downQueue.Count == 0;
                    if (_downQueue.TryDequeue(out var item))
                    {
                        _downCurrent = (item.Release, item.Buffer, 0, item.Count);
                        _downQueuedBytes -= item.Count;
                        if (_downSpace is not null && _downQueuedBytes <= MaxQueuedDownBytes / 2)
                        {
                            _downSpace.TrySetResult();
                            _downSpace = null;
                        }
                    }
                    else if (!ended)
                    {
                        _downArrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        arrival = _downArrived.Task;
                    }
                }
                if (ended)
                {
                    if (_size.Refusal is { } refusal) throw refusal;
                    if (DownBlocked) return await HangAsync(cancellationToken).ConfigureAwait(false);
                    if (_downFailed) throw new IOException("The connection was reset by the peer.");
                    return 0;
                }
                if (arrival is not null)
                {
                    await arrival.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                current = _downCurrent!.Value;
            }
            try { await DelayUntilAsync(current.Release, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) when (_size.Refusal is { } refusal) { throw refusal; }
            if (DownBlocked)
            {
                // Already scanned on arrival; the application never sees it.
                ArrayPool<byte>.Shared.Return(current.Buffer);
                _downCurrent = null;
                continue;
            }
            var n = Math.Min(buffer.Length, current.Count - current.Offset);
            current.Buffer.AsSpan(current.Offset, n).CopyTo(buffer.Span);
            BytesRead += n;
            if (current.Offset + n == current.Count)
            {
                ArrayPool<byte>.Shared.Return(current.Buffer);
                _downCurrent = null;
            }
            else
            {
                _downCurrent = current with { Offset = current.Offset + n };
            }
            return n;
        }
    }

    private async Task PumpDownAsync()
    {
        var failed = false;
        try
        {
            while (true)
            {
                Task? space = null;
                lock (_downQueue)
                {
                    if (_downQueuedBytes >= MaxQueuedDownBytes)
                    {
                        _downSpace ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        space = _downSpace.Task;
                    }
                }
                if (space is not null)
                {
                    await WatchWhileFullAsync(space).ConfigureAwait(false);
                    continue;
                }
                var chunk = ArrayPool<byte>.Shared.Rent(DownChunkSize);
                var n = await ReceiveAsync(chunk.AsMemory(), _disposed.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                    _peer.SocketEnded();
                    return;
                }
                bool fits;
                lock (_downQueue)
                {
                    // Scanned on arrival, before any fault delays or drops it, so what the server said is seen
                    // at the same instant whatever the link.
                    fits = !_scanning || Scanner.Feed(chunk.AsSpan(0, n));
                    var release = fits ? Schedule(_down, n, _time.GetTimestamp(), ref _lastDownRelease) : null;
                    if (release is { } due)
                    {
                        _downQueue.Enqueue((due, chunk, n));
                        _downQueuedBytes += n;
                        _downArrived?.TrySetResult();
                        _downArrived = null;
                    }
                    else
                    {
                        ArrayPool<byte>.Shared.Return(chunk);
                    }
                }
                if (!fits)
                {
                    _size.Refuse();
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            _peer.SocketEnded();
            failed = e is not OperationCanceledException;
        }
        finally
        {
            lock (_downQueue)
            {
                _downEnded = true;
                _downFailed = failed;
                _downArrived?.TrySetResult();
                _downArrived = null;
            }
        }
    }

    /// <summary>
    /// Waits for the reader to make room without reading the socket, checking meanwhile whether the server
    /// ended the connection behind the unread bytes (Linux: the TCP state says FIN or RST arrived).
    /// </summary>
    private async Task WatchWhileFullAsync(Task space)
    {
        _downPaused = true;
        try
        {
            while (!space.IsCompleted)
            {
                if (_peer.CheckTcpState() || !OperatingSystem.IsLinux())
                {
                    await space.WaitAsync(_disposed.Token).ConfigureAwait(false);
                    return;
                }
                await Task.WhenAny(space, Task.Delay(FullQueueWatchInterval, _time, _disposed.Token)).ConfigureAwait(false);
                _disposed.Token.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            _downPaused = false;
        }
    }

}
