using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using SimCluster.Transport.Faults;

namespace SimCluster.Transport;

/// <summary>
/// The stream a simulated client's WebSocket runs over, and the single place where network faults act.
/// Every chunk written (up) or read (down) passes through that direction's fault chain, which may delay it
/// (latency, jitter, bandwidth, loss) or hold it forever (blackhole, frozen reads). Bytes stay in order per
/// direction, as on TCP. Detection sits below the shaping: the frame scanner and <see cref="PeerGone"/> see
/// the server's bytes, Close frame, FIN or RST the moment the socket delivers them, on every link profile and
/// under a blackhole, while the application above still gets them shaped (or never).
/// </summary>
public sealed class FaultStream : Stream
{
    /// <summary>How many delayed bytes may wait to be sent before writers wait too (a socket send buffer).</summary>
    private const int MaxQueuedUpBytes = 256 * 1024;
    internal const int DownChunkSize = 16 * 1024;
    /// <summary>How many shaped bytes may wait to be read before the pump stops reading (a socket receive buffer).</summary>
    internal const int MaxQueuedDownBytes = 16 * DownChunkSize;
    /// <summary>
    /// While the receive queue is full the socket is not read (so a slow reader's server feels back-pressure),
    /// and its TCP state is checked this often instead, so a FIN or RST behind unread bytes is still seen.
    /// </summary>
    internal static readonly TimeSpan FullQueueWatchInterval = TimeSpan.FromMilliseconds(5);

    private readonly Socket _socket;
    private readonly TimeProvider _time;
    private readonly IStreamFault[] _up;
    private readonly IStreamFault[] _down;
    private readonly bool _downShaped;
    private readonly CancellationTokenSource _disposed = new();
    private readonly TaskCompletionSource<long> _peerGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Frames written by us (the lean driver's messages, heartbeat PINGs) share the write path with the
    // WebSocket's own (PONGs, close): writes are serialised whole so frames never interleave.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private byte[]? _prefix;
    private int _prefixOffset;
    private long _lastUpRelease;
    private long _lastDownRelease;
    private int _readsInARow;
    private const int MaxReadsInARow = 64;
    private volatile bool _aborted;
    private volatile bool _scanning;

    // Delayed writes: a queue drained by one pump at a time.
    private readonly Queue<(long Release, byte[] Buffer, int Count)> _upQueue = new();
    private bool _upPumpRunning;
    private int _upQueuedBytes;
    private TaskCompletionSource? _upSpace;

    // Shaped reads: a pump reads the socket, scans each chunk as it arrives, and queues it with its release time.
    private readonly Queue<(long Release, byte[] Buffer, int Count)> _downQueue = new();
    private bool _downPumpStarted;
    private int _downQueuedBytes;
    private bool _downEnded;
    private bool _downFailed;
    private TaskCompletionSource? _downArrived;
    private TaskCompletionSource? _downSpace;
    private (long Release, byte[] Buffer, int Offset, int Count)? _downCurrent;
    private MessageTooBigException? _refusal;
    private bool _refuseOnFirstRead;
    private volatile bool _downPaused;

    /// <summary>True while the receive queue is full and the socket is watched instead of read.</summary>
    internal bool DownPaused => _downPaused;

    public FaultStream(Socket socket, IEnumerable<IStreamFault> upShaping, IEnumerable<IStreamFault> downShaping, TimeProvider time,
        bool watchFrames = false, long maxMessageSize = FrameScanner.DefaultMaxMessageSize)
    {
        _socket = socket;
        _time = time;
        // Every stream follows the server's frame headers, so the maximum message size is enforced before a
        // payload reaches the WebSocket, whichever driver sits above (Websocket.Client would buffer any size).
        Scanner = new FrameScanner(maxMessageSize);
        if (watchFrames)
        {
            Scanner.CloseSeen += code =>
            {
                if (_peerGone.Task.IsCompleted) return;
                PeerCloseCode = code;
                _peerGone.TrySetResult(_time.GetTimestamp());
            };
        }
        UpBlackhole = new BlackholeFault();
        DownBlackhole = new BlackholeFault();
        FrozenReads = new FreezeReadsFault();
        var upList = upShaping.ToList();
        var downList = downShaping.ToList();
        _downShaped = downList.Count > 0;
        _up = [.. upList, UpBlackhole];
        _down = [.. downList, DownBlackhole, FrozenReads];
    }

    /// <summary>Client-to-server blackhole: writes vanish without a trace.</summary>
    public BlackholeFault UpBlackhole { get; }

    /// <summary>Server-to-client blackhole: nothing that arrives reaches the application.</summary>
    public BlackholeFault DownBlackhole { get; }

    /// <summary>The application stopped reading (no PONGs, no messages), while the socket is still watched.</summary>
    public FreezeReadsFault FrozenReads { get; }

    /// <summary>Sees every frame header the server sends, delivered or not; enforces the maximum message size.</summary>
    public FrameScanner Scanner { get; }

    /// <summary>
    /// Completes with a <see cref="TimeProvider"/> timestamp when the peer gave up on this connection: it closed
    /// or reset the TCP connection, or (on a stream built to watch frames) sent a Close frame. The timestamp is
    /// when the bytes reached the socket, however slowly the link or the reader hands them on.
    /// </summary>
    public Task<long> PeerGone => _peerGone.Task;

    /// <summary>The code of the server's Close frame when that is how <see cref="PeerGone"/> completed.</summary>
    public int? PeerCloseCode { get; private set; }

    public long BytesWritten { get; private set; }
    public long BytesRead { get; private set; }

    public Socket Socket => _socket;

    /// <summary>Stops all traffic both ways without telling the peer (cable pulled, radio lost).</summary>
    public void Blackhole()
    {
        UpBlackhole.Activate();
        DownBlackhole.Activate();
    }

    /// <summary>Starts the slow-reader fault, if the stream was built with one.</summary>
    public bool StartSlowReading()
    {
        var fault = _down.OfType<SlowReadFault>().FirstOrDefault();
        fault?.Activate();
        return fault is not null;
    }

    /// <summary>Abrupt reset: linger zero, close, so the peer gets an RST and no close handshake.</summary>
    public void Reset()
    {
        if (_aborted) return;
        _aborted = true;
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
            _socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone: nothing more to reset.
        }
        _peerGone.TrySetCanceled(); // we ended it; the peer did not give up
        _disposed.Cancel();
    }

    /// <summary>TCP half-close: send FIN, keep reading.</summary>
    public void ShutdownSend()
    {
        try { _socket.Shutdown(SocketShutdown.Send); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    /// <summary>
    /// The upgrade is done: <paramref name="leftover"/> (read past the end of the HTTP response) and everything
    /// after it are WebSocket frames, which the scanner follows from here on, starting with the bytes already
    /// received but not yet delivered. Not called over TLS, where this stream carries ciphertext and
    /// <see cref="ScanningStream"/> feeds the scanner the decrypted bytes instead.
    /// </summary>
    internal void StartScanning(ReadOnlySpan<byte> leftover)
    {
        if (!leftover.IsEmpty)
        {
            _prefix = leftover.ToArray();
            _prefixOffset = 0;
        }
        bool fits;
        lock (_downQueue)
        {
            fits = leftover.IsEmpty || Scanner.Feed(leftover);
            if (fits && _downCurrent is { } current) fits = Scanner.Feed(current.Buffer.AsSpan(current.Offset, current.Count - current.Offset));
            foreach (var (_, chunk, count) in _downQueue)
            {
                if (!fits) break;
                fits = Scanner.Feed(chunk.AsSpan(0, count));
            }
            _scanning = true;
        }
        // Refused at the first read, not here: the upgrade succeeded, so the connection opened and is lost to
        // an oversized message (a reset now would fail the connect that is still being completed).
        _refuseOnFirstRead = !fits;
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // ---------------------------------------------------------------- writes (up)

    // Every message goes through these reads and writes: their state machines come from a pool
    // (PoolingAsyncValueTaskMethodBuilder) instead of one allocation per message that waits on the socket.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { await WriteShapedAsync(buffer, cancellationToken).ConfigureAwait(false); }
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

    // ---------------------------------------------------------------- reads (down)

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_refuseOnFirstRead)
        {
            _refuseOnFirstRead = false;
            _refusal = RefuseOversized();
        }
        if (_refusal is not null) return ValueTask.FromException<int>(_refusal);
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
                var read = _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (!read.IsCompleted) _readsInARow = 0;
                else if (++_readsInARow == MaxReadsInARow)
                {
                    // A server that floods keeps every read completing at once, so the whole read chain above
                    // (WebSocket, Websocket.Client's receive loop) never leaves this thread, and whatever waits for
                    // that chain to yield (Websocket.Client's start) waits until the flood stops. Let go now and then.
                    _readsInARow = 0;
                    await Task.Yield();
                }
                n = await read.ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                _peerGone.TrySetResult(_time.GetTimestamp());
                if (DownBlocked) return await HangAsync(cancellationToken).ConfigureAwait(false);
                throw new IOException("The connection was reset by the peer.", e);
            }
            if (n == 0)
            {
                _peerGone.TrySetResult(_time.GetTimestamp());
                if (DownBlocked) return await HangAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
            if (_scanning && !Scanner.Feed(buffer.Span[..n])) throw RefuseOversized();
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
            if (_refusal is not null) throw _refusal;
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
                    if (_refusal is not null) throw _refusal;
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
            catch (OperationCanceledException) when (_refusal is not null) { throw _refusal; }
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
                var n = await _socket.ReceiveAsync(chunk.AsMemory(), SocketFlags.None, _disposed.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                    _peerGone.TrySetResult(_time.GetTimestamp());
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
                    _refusal = RefuseOversized();
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            _peerGone.TrySetResult(_time.GetTimestamp());
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
                if (!_peerGone.Task.IsCompleted && OperatingSystem.IsLinux() && PeerEndedTcp()) _peerGone.TrySetResult(_time.GetTimestamp());
                if (_peerGone.Task.IsCompleted || !OperatingSystem.IsLinux())
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

    private const int TcpInfo = 11; // TCP_INFO; its first byte is the connection's state
    private const byte TcpClose = 7, TcpCloseWait = 8;

    /// <summary>True once the kernel has the peer's FIN (CLOSE_WAIT) or RST (CLOSE), read or not.</summary>
    private bool PeerEndedTcp()
    {
        Span<byte> info = stackalloc byte[8];
        try
        {
            return _socket.GetRawSocketOption((int)SocketOptionLevel.Tcp, TcpInfo, info) > 0 && info[0] is TcpClose or TcpCloseWait;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// A frame header announced a message over the limit: the connection is reset at once (nothing of the
    /// payload is read into memory) and the read fails with <see cref="MessageTooBigException"/>.
    /// </summary>
    internal MessageTooBigException RefuseOversized()
    {
        Reset();
        return new MessageTooBigException(Scanner.Oversized ?? 0, Scanner.MaxMessageSize);
    }

    /// <summary>Runs the chain, then keeps the direction in order: nothing overtakes what was sent before it.</summary>
    private static long? Schedule(IStreamFault[] chain, int byteCount, long now, ref long lastRelease)
    {
        long? due = now;
        foreach (var fault in chain)
        {
            due = fault.Schedule(byteCount, due.Value);
            if (due is null) return null;
        }
        var release = Math.Max(due.Value, lastRelease);
        lastRelease = release;
        return release;
    }

    private Task DelayUntilAsync(long release, CancellationToken cancellationToken = default)
    {
        var wait = _time.GetElapsedTime(_time.GetTimestamp(), release);
        return wait <= TimeSpan.Zero ? Task.CompletedTask : DelayAsync(release, wait, cancellationToken);
    }

    /// <summary>
    /// Timers run on a coarse clock and may fire a few milliseconds early, so the wait is repeated until the
    /// stream's clock says the release is due: a fault never delivers early. The linked token source is
    /// disposed, so a long-lived stream does not collect one registration per delayed chunk.
    /// </summary>
    private async Task DelayAsync(long release, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token) : null;
        var token = linked?.Token ?? _disposed.Token;
        do
        {
            await Task.Delay(wait, _time, token).ConfigureAwait(false);
            wait = _time.GetElapsedTime(_time.GetTimestamp(), release);
        }
        while (wait > TimeSpan.Zero);
    }

    /// <summary>What a frozen application's read looks like: it never returns until the stream is torn down.</summary>
    private async ValueTask<int> HangAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        await Task.Delay(Timeout.Infinite, linked.Token).ConfigureAwait(false);
        return 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed.IsCancellationRequested)
        {
            _peerGone.TrySetCanceled(); // set before the socket errors, so our own close is not read as the peer's
            try { _socket.Dispose(); } catch (ObjectDisposedException) { }
            _disposed.Cancel();
        }
        base.Dispose(disposing);
    }
}
