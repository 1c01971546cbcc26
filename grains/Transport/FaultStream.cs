using System.Buffers;
using System.Buffers.Binary;
using System.Net.Security;
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
/// under a blackhole, while the application above still gets them shaped (or never). Over <c>wss://</c> the
/// TLS session sits inside this stream, between the socket and the shaping (<see cref="StartTlsAsync"/>): the
/// scanner follows the decrypted bytes as they arrive, so a Close frame is seen as early as over <c>ws://</c>.
/// By job: this file is the Stream adapter, the fault controls and TLS; the pumps are FaultStream.Up.cs (writes)
/// and FaultStream.Down.cs (reads); <see cref="MessageSizeGuard"/> refuses oversized messages and
/// <see cref="PeerGoneDetector"/> timestamps the peer's end.
/// </summary>
public sealed partial class FaultStream : Stream
{
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
    private readonly PeerGoneDetector _peer;
    private readonly MessageSizeGuard _size;
    // Frames written by us (the lean driver's messages, heartbeat PINGs) share the write path with the
    // WebSocket's own (PONGs, close): writes are serialised whole so frames never interleave.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private byte[]? _prefix;
    private int _prefixOffset;
    private long _lastUpRelease;
    private long _lastDownRelease;
    private volatile bool _aborted;
    private volatile bool _scanning;
    private SslStream? _tls;
    private volatile bool _tlsOpen;

    public FaultStream(Socket socket, IEnumerable<IStreamFault> upShaping, IEnumerable<IStreamFault> downShaping, TimeProvider time,
        bool watchFrames = false, long maxMessageSize = FrameScanner.DefaultMaxMessageSize)
    {
        _socket = socket;
        _time = time;
        // Every stream follows the server's frame headers, so the maximum message size is enforced before a
        // payload reaches the WebSocket, whichever driver sits above (Websocket.Client would buffer any size).
        Scanner = new FrameScanner(maxMessageSize);
        _peer = new PeerGoneDetector(socket, time);
        _size = new MessageSizeGuard(Scanner, Reset);
        if (watchFrames) Scanner.CloseSeen += _peer.CloseFrame;
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
    public Task<long> PeerGone => _peer.Gone;

    /// <summary>The code of the server's Close frame when that is how <see cref="PeerGone"/> completed.</summary>
    public int? PeerCloseCode => _peer.CloseCode;

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
        _peer.WeEnded();
        _disposed.Cancel();
    }

    /// <summary>TCP half-close: send FIN, keep reading.</summary>
    public void ShutdownSend()
    {
        try { _socket.Shutdown(SocketShutdown.Send); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    /// <summary>
    /// Starts TLS inside this stream (<c>wss://</c>): the handshake's records are shaped both ways like any
    /// bytes; once it is done the socket's bytes are decrypted as they arrive, and the shaping, the blackhole and
    /// the scanner act on the plain bytes, as on a <c>ws://</c> connection. Writes are encrypted, then shaped.
    /// </summary>
    public async Task StartTlsAsync(SslClientAuthenticationOptions options, CancellationToken cancellationToken)
    {
        if (_tls is not null) throw new InvalidOperationException("TLS has already started");
        _tls = new SslStream(new TlsWire(this), leaveInnerStreamOpen: false);
        await _tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        _tlsOpen = true;
    }

    /// <summary>
    /// The upgrade is done: <paramref name="leftover"/> (read past the end of the HTTP response) and everything
    /// after it are WebSocket frames, which the scanner follows from here on, starting with the bytes already
    /// received but not yet delivered.
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
        if (!fits) _size.RefuseAtFirstRead();
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

    /// <summary>What the socket delivers now: its bytes, or over TLS the bytes decrypted from them.</summary>
    private ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is { } tls ? tls.ReadAsync(buffer, cancellationToken) : _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>The down faults' delay for TLS handshake bytes, read before the session (and the shaping of plain bytes) starts.</summary>
    private Task DelayHandshakeBytesAsync(int count, CancellationToken cancellationToken) =>
        Schedule(_down, count, _time.GetTimestamp(), ref _lastDownRelease) is { } release ? DelayUntilAsync(release, cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// The TLS session's own transport: it reads the socket (during the handshake through the down faults, so
    /// the handshake costs what the link costs; after it unshaped, the shaping then acting on the plain bytes)
    /// and writes its records through the up faults.
    /// </summary>
    private sealed class TlsWire(FaultStream owner) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = owner._socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            var waited = !read.IsCompleted;
            var n = await read.ConfigureAwait(false);
            if (owner._tlsOpen) return n;
            if (n > 0) await owner.DelayHandshakeBytesAsync(n, cancellationToken).ConfigureAwait(false);
            // The handshake's cryptography does not run on the socket engine's thread (SocketCompletions).
            if (waited) await Task.Yield();
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            owner.WriteShapedAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
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
            _peer.WeEnded(); // before the socket errors, so our own close is not read as the peer's
            try { _socket.Dispose(); } catch (ObjectDisposedException) { }
            try { _tls?.Dispose(); } catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            _disposed.Cancel();
        }
        base.Dispose(disposing);
    }
}
