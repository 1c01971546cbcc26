using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SimCluster.Transport.Faults;

namespace SimCluster.Transport;

/// <summary>
/// The stream a simulated client's WebSocket runs over, and the single place where network faults act.
/// Every chunk written (up) or read (down) passes through that direction's fault chain, which may delay it
/// (latency, jitter, bandwidth, loss) or hold it forever (blackhole, frozen reads). Bytes stay in order per
/// direction, as on TCP. The stream also watches the raw socket, so the moment a peer gives up (FIN or RST)
/// is timestamped even while the application above sees nothing.
/// </summary>
public sealed class FaultStream : Stream
{
    /// <summary>How many delayed bytes may wait to be sent before writers wait too (a socket send buffer).</summary>
    private const int MaxQueuedUpBytes = 256 * 1024;
    private const int DownChunkSize = 16 * 1024;

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

    // Shaped reads: a pump reads the socket and hands chunks over with their release time.
    private Channel<(long Release, byte[] Buffer, int Count)>? _downChannel;
    private (long Release, byte[] Buffer, int Offset, int Count)? _downCurrent;

    public FaultStream(Socket socket, IEnumerable<IStreamFault> upShaping, IEnumerable<IStreamFault> downShaping, TimeProvider time,
        bool watchFrames = false, long maxMessageSize = FrameScanner.DefaultMaxMessageSize)
    {
        _socket = socket;
        _time = time;
        // Every stream follows the server's frame headers, so the maximum message size is enforced before a
        // payload reaches the WebSocket, whichever driver sits above (Websocket.Client would buffer any size).
        Scanner = new FrameScanner(maxMessageSize);
        if (watchFrames) Scanner.CloseSeen += _ => { if (DownBlocked) _peerGone.TrySetResult(_time.GetTimestamp()); };
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
    /// or reset the TCP connection, or (while the application is not reading) sent a Close frame.
    /// </summary>
    public Task<long> PeerGone => _peerGone.Task;

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
    /// From now on the bytes read are WebSocket frames (the upgrade is done): the scanner follows them. Not
    /// called over TLS, where this stream carries ciphertext and <see cref="ScanningStream"/> feeds the
    /// scanner the decrypted bytes instead.
    /// </summary>
    internal void StartScanning() => _scanning = true;

    /// <summary>Bytes that were read past the end of the HTTP upgrade response belong to the WebSocket.</summary>
    internal void PushBack(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        _prefix = bytes.ToArray();
        _prefixOffset = 0;
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
        if (_prefix is not null)
        {
            var n = Math.Min(buffer.Length, _prefix.Length - _prefixOffset);
            _prefix.AsSpan(_prefixOffset, n).CopyTo(buffer.Span);
            if (_scanning && !Scanner.Feed(buffer.Span[..n])) return ValueTask.FromException<int>(RefuseOversized());
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
        if (_downChannel is null)
        {
            _downChannel = Channel.CreateBounded<(long, byte[], int)>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
            _ = PumpDownAsync(_downChannel.Writer);
        }
        while (true)
        {
            if (_downCurrent is not { } current)
            {
                if (!await _downChannel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (DownBlocked) return await HangAsync(cancellationToken).ConfigureAwait(false);
                    if (_downChannel.Reader.Completion.IsFaulted) throw new IOException("The connection was reset by the peer.");
                    return 0;
                }
                var (release, chunk, count) = await _downChannel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                current = (release, chunk, 0, count);
                _downCurrent = current;
            }
            await DelayUntilAsync(current.Release, cancellationToken).ConfigureAwait(false);
            if (DownBlocked)
            {
                // Frames are followed here, in delivery order, delivered or not (the pump cannot know where
                // the upgrade response ends).
                if (_scanning) Scanner.Feed(current.Buffer.AsSpan(current.Offset, current.Count - current.Offset));
                ArrayPool<byte>.Shared.Return(current.Buffer);
                _downCurrent = null;
                continue;
            }
            var n = Math.Min(buffer.Length, current.Count - current.Offset);
            current.Buffer.AsSpan(current.Offset, n).CopyTo(buffer.Span);
            if (_scanning && !Scanner.Feed(buffer.Span[..n])) throw RefuseOversized();
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

    private async Task PumpDownAsync(ChannelWriter<(long, byte[], int)> writer)
    {
        try
        {
            while (true)
            {
                var chunk = ArrayPool<byte>.Shared.Rent(DownChunkSize);
                var n = await _socket.ReceiveAsync(chunk.AsMemory(), SocketFlags.None, _disposed.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                    _peerGone.TrySetResult(_time.GetTimestamp());
                    writer.TryComplete();
                    return;
                }
                var release = Schedule(_down, n, _time.GetTimestamp(), ref _lastDownRelease);
                if (release is null)
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                    continue;
                }
                await writer.WriteAsync((release.Value, chunk, n), _disposed.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or ChannelClosedException)
        {
            _peerGone.TrySetResult(_time.GetTimestamp());
            writer.TryComplete(e is OperationCanceledException ? null : e);
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
