using System.Buffers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace SimCluster.Transport;

/// <summary>
/// The lean driver: our own receive loop over the connector's WebSocket. An idle connection holds no receive
/// buffer: it waits with a zero-byte read, and each message is read into a pooled buffer (grown for a longer
/// one) that goes back to the pool as soon as the message is delivered.
/// Over plain ws:// text frames are written straight onto the fault stream (<see cref="ClientFrames"/>); over
/// TLS they go through the WebSocket, one at a time (it allows a single outstanding send).
/// </summary>
internal sealed class LeanConnection : SimulatedConnection
{
    /// <summary>The pooled buffer a message is first read into; a longer one grows it by doubling.</summary>
    private const int FirstReadSize = 256;

    private readonly OpenedSocket _opened;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();

    /// <summary>
    /// Largest message accepted from a server. The fault stream's frame scanner refuses a larger one from its
    /// header already; this bound is the second line, should a message grow past it anyway.
    /// </summary>
    private readonly long _maxMessageSize;

    /// <summary>Plain ws://: our frames can be written below the WebSocket. Over TLS they must go through it.</summary>
    private readonly bool _framesDirect;

    private LeanConnection(OpenedSocket opened, IConnectionListener listener, long maxMessageSize, bool framesDirect) : base(listener)
    {
        _opened = opened;
        _maxMessageSize = maxMessageSize;
        _framesDirect = framesDirect;
    }

    public static new async Task<SimulatedConnection> OpenAsync(ConnectOptions options, IConnectionListener listener, CancellationToken ct)
    {
        var opened = await WebSocketConnector.ConnectAsync(options, ct).ConfigureAwait(false);
        var connection = new LeanConnection(opened, listener, options.MaxMessageSize, framesDirect: options.Target.Scheme != "wss");
        _ = Task.Run(connection.ReceiveLoopAsync, CancellationToken.None);
        return connection;
    }

    protected override OpenedSocket? Opened => _opened;

    private WebSocket Socket => _opened.WebSocket;

    public override bool IsOpen => !Ended && Socket.State == WebSocketState.Open;

    public override bool Send(string text)
    {
        if (!IsOpen) return false;
        _ = SendAsync(text);
        return true;
    }

    private async Task SendAsync(string text)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(ClientFrames.MaxHeaderLength + Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, bytes.AsSpan(ClientFrames.MaxHeaderLength));
            if (_framesDirect)
            {
                // Plain ws://: the frame goes straight onto the fault stream, which serialises it whole with the
                // WebSocket's own frames. Through ManagedWebSocket a message cost a semaphore, a send buffer and
                // one call to the system's random generator for its mask.
                var start = ClientFrames.MaskInPlace(bytes, length, ClientFrames.Text);
                await _opened.Stream.WriteAsync(bytes.AsMemory(start, ClientFrames.MaxHeaderLength + length - start), CancellationToken.None).ConfigureAwait(false);
                return;
            }
            await _sendGate.WaitAsync(_stop.Token).ConfigureAwait(false);
            // No cancellation token: with one, ManagedWebSocket takes its slow path (a state machine and a
            // token registration per message). A send stuck on a dead peer ends when DisposeDriver aborts the socket.
            try { await Socket.SendAsync(bytes.AsMemory(ClientFrames.MaxHeaderLength, length), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false); }
            finally { _sendGate.Release(); }
        }
        catch (Exception e) when (e is WebSocketException or IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The receive loop reports the connection's end; a failed send changes nothing more.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                // A zero-byte read: ManagedWebSocket waits on the stream without a buffer of ours and returns once a
                // frame header is in (a data frame's, or the close it handles itself); ping and pong stay inside it.
                // Not cancelled by token (a registration per message): DisposeDriver aborts the socket, which ends the read.
                var result = await Socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await EndByServerAsync().ConfigureAwait(false);
                    return;
                }
                var length = 0;
                if (!result.EndOfMessage)
                {
                    buffer = ArrayPool<byte>.Shared.Rent(FirstReadSize);
                    while (!result.EndOfMessage)
                    {
                        if (length == buffer.Length)
                        {
                            if (length >= _maxMessageSize)
                            {
                                await CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big").ConfigureAwait(false);
                                throw new MessageTooBigException(length + 1, _maxMessageSize);
                            }
                            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, _maxMessageSize + 1));
                            buffer.AsSpan(0, length).CopyTo(larger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                        }
                        result = await Socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            await EndByServerAsync().ConfigureAwait(false);
                            return;
                        }
                        length += result.Count;
                    }
                }
                if (result.MessageType == WebSocketMessageType.Text) DeliverText(buffer is null ? "" : Encoding.UTF8.GetString(buffer, 0, length));
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            DeliverClosed(new ConnectionClosed(CloseInitiator.Lost, null, null, e.GetBaseException().Message, DisconnectCause.Classify(e, _opened.Stream.Scanner)));
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task EndByServerAsync()
    {
        DeliverClosed(new ConnectionClosed(CloseInitiator.Server, (int?)Socket.CloseStatus, Socket.CloseStatusDescription, null));
        await AnswerCloseAsync().ConfigureAwait(false);
    }

    /// <summary>Completes the close handshake the server started, bounded, then lets the socket go.</summary>
    private async Task AnswerCloseAsync()
    {
        await CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "").ConfigureAwait(false);
        DisposeDriver();
    }

    private async Task CloseOutputAsync(WebSocketCloseStatus status, string reason)
    {
        using var bound = new CancellationTokenSource(StopBound);
        try { await Socket.CloseOutputAsync(status, reason, bound.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException) { }
    }

    public override async Task CloseAsync(int code = 1000, string reason = "bye")
    {
        if (!Detach()) return;
        using var bound = new CancellationTokenSource(StopBound);
        try { await Socket.CloseAsync((WebSocketCloseStatus)code, reason, bound.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // A peer that never answers the close: the socket is torn down below regardless.
        }
        DisposeDriver();
    }

    protected override void DisposeDriver()
    {
        if (!_stop.IsCancellationRequested)
        {
            try { _stop.Cancel(); } catch (ObjectDisposedException) { }
        }
        Socket.Abort();
        _opened.Stream.Dispose();
    }
}
