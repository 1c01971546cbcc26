using System.Buffers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;

namespace SimCluster.Target;

/// <summary>Kind of result from <see cref="Connection.ReceiveAsync"/>.</summary>
internal enum InboundKind
{
    Message,
    Close,
    TooBig,
    Discarded,
}

/// <summary>One received message. <see cref="Buffer"/> is rented from the shared pool; call <see cref="Release"/> when done.</summary>
internal struct InboundMessage
{
    public InboundKind Kind;
    public WebSocketMessageType Type;
    public byte[]? Buffer;
    public int Length;

    public readonly ReadOnlyMemory<byte> Payload => Buffer is null ? ReadOnlyMemory<byte>.Empty : Buffer.AsMemory(0, Length);

    public void Release()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = null;
        }
    }
}

/// <summary>
/// One accepted WebSocket: reads whole messages into pooled buffers, enforces the size limit, and records
/// exactly one outcome (client close, server close/abort, or plain abort) in the stats.
/// </summary>
internal sealed class Connection
{
    // Starting size of a message buffer; it doubles up to MaxMessageSize + 1 for bigger messages.
    private const int InitialBufferSize = 4096;

    // How long the client gets to answer our Close frame before the socket is dropped.
    internal static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _ws;
    private readonly ObservedStream? _transport;
    private readonly TargetStats _stats;
    private readonly int _maxMessageSize;
    private int _outcomeRecorded;
    private int _closeSent;
    private int _closing;
    private CancellationTokenSource? _closeDeadline;

    public Connection(long id, WebSocket ws, ObservedStream? transport, TargetStats stats, int maxMessageSize, string remoteAddress)
    {
        Id = id;
        _ws = ws;
        _transport = transport;
        _stats = stats;
        _maxMessageSize = maxMessageSize;
        RemoteAddress = remoteAddress;
    }

    public long Id { get; }
    /// <summary>Client IP as counted in sourceAddresses (for extensions such as auth that log or limit per client).</summary>
    public string RemoteAddress { get; }
    public IMessageHandler? Handler { get; set; }

    /// <summary>Token state when the target checks tokens; null otherwise.</summary>
    public ConnectionAuth? Auth { get; set; }

    /// <summary>The server has sent (or is sending) its Close frame.</summary>
    public bool CloseSent => Volatile.Read(ref _closeSent) != 0;

    /// <summary>A server close is sent or queued: later data messages are drained with a small buffer, not handled.</summary>
    public bool Draining => Volatile.Read(ref _closing) != 0 || CloseSent;

    /// <summary>A handler queued a Close frame behind other output; stop handling input from now on.</summary>
    public void MarkClosing() => Volatile.Write(ref _closing, 1);

    /// <summary>Reads the next complete message. Idle connections hold no pooled buffer: a zero-byte read waits for the next frame first.</summary>
    public async ValueTask<InboundMessage> ReceiveAsync()
    {
        // No token: cancelling a ManagedWebSocket read aborts the socket. The close deadline aborts it instead.
        var ct = CancellationToken.None;
        var first = await _ws.ReceiveAsync(Memory<byte>.Empty, ct).ConfigureAwait(false);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return new InboundMessage { Kind = InboundKind.Close };
        }

        if (first.EndOfMessage)
        {
            return new InboundMessage { Kind = Draining ? InboundKind.Discarded : InboundKind.Message, Type = first.MessageType };
        }

        if (Draining)
        {
            return await DiscardRestAsync(ct).ConfigureAwait(false);
        }

        // Rent one byte more than the limit so "exactly at the limit" and "over" can be told apart.
        var limit = _maxMessageSize + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferSize, limit));
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit));
                    buffer.AsSpan(0, count).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var readSize = Math.Min(buffer.Length, limit) - count;
                var result = await _ws.ReceiveAsync(buffer.AsMemory(count, readSize), ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new InboundMessage { Kind = InboundKind.Close };
                }

                count += result.Count;
                if (count > _maxMessageSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new InboundMessage { Kind = InboundKind.TooBig, Type = result.MessageType };
                }

                if (result.EndOfMessage)
                {
                    var message = new InboundMessage { Kind = InboundKind.Message, Type = result.MessageType, Buffer = buffer, Length = count };
                    buffer = null!;
                    return message;
                }
            }
        }
        catch
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            throw;
        }
    }

    /// <summary>After our Close frame: read and drop the rest of a message with a small buffer, never the full message.</summary>
    private async ValueTask<InboundMessage> DiscardRestAsync(CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            while (true)
            {
                var result = await _ws.ReceiveAsync(scratch.AsMemory(), ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return new InboundMessage { Kind = InboundKind.Close };
                }

                if (result.EndOfMessage)
                {
                    return new InboundMessage { Kind = InboundKind.Discarded };
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Sends one whole message; false when the socket can no longer send (the receive loop learns why).</summary>
    public async ValueTask<bool> SendAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type)
    {
        if (CloseSent)
        {
            return false;
        }

        try
        {
            await _ws.SendAsync(payload, type, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            _stats.RecordMessageOut(payload.Length);
            return true;
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Server-initiated close: sends the Close frame once and gives the client <see cref="CloseHandshakeTimeout"/> to answer.</summary>
    public async Task CloseAsync(int code, string reason)
    {
        if (Interlocked.Exchange(ref _closeSent, 1) != 0)
        {
            return;
        }

        // Client closed first, or the socket is gone: the receive loop records how it really ended.
        if (_ws.State != WebSocketState.Open)
        {
            return;
        }

        if (TryRecordOutcome())
        {
            _stats.RecordServerClose(code);
        }

        // A client that never answers our Close frame is dropped when the deadline passes.
        var deadline = new CancellationTokenSource(CloseHandshakeTimeout);
        deadline.Token.Register(static ws => ((WebSocket)ws!).Abort(), _ws);
        Volatile.Write(ref _closeDeadline, deadline);
        try
        {
            await _ws.CloseOutputAsync((WebSocketCloseStatus)code, reason, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // Peer already gone; the receive loop ends on its own.
        }
    }

    /// <summary>
    /// A limit was broken (see <see cref="ClientFrameGuard"/>): close with <paramref name="code"/>. Called from the
    /// read path, so it only starts the close; marking the connection as closing first keeps the offending
    /// message from being handled.
    /// </summary>
    public void CloseForViolation(int code, string reason)
    {
        MarkClosing();
        _ = CloseForViolationAsync(code, reason);
    }

    private async Task CloseForViolationAsync(int code, string reason)
    {
        try
        {
            if (Handler is { } handler)
            {
                await handler.RequestCloseAsync(this, code, reason).ConfigureAwait(false);
            }
            else
            {
                await CloseAsync(code, reason).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // The connection is already going; the receive loop records how it ended.
        }
    }

    /// <summary>After a server close: waits (bounded) for the client's Close frame on the raw stream, skipping whatever comes before it.</summary>
    public Task WaitForClientCloseAsync() =>
        _transport?.DrainUntilCloseFrameAsync(CloseHandshakeTimeout) ?? Task.CompletedTask;

    /// <summary>Drops the connection without a close handshake, recording <paramref name="key"/> as a server abort.</summary>
    public void Abort(string key)
    {
        if (TryRecordOutcome())
        {
            _stats.RecordServerAbort(key);
        }

        _ws.Abort();
    }

    /// <summary>The client sent a Close frame: record it (unless we closed first) and complete the handshake.</summary>
    public async Task OnCloseReceivedAsync()
    {
        var status = _ws.CloseStatus;
        if (TryRecordOutcome())
        {
            _stats.RecordClientClose(status is null ? 1005 : (int)status.Value);
        }

        if (_ws.State == WebSocketState.CloseReceived)
        {
            // Echo the client's code; 1005 ("no code") must not be sent on the wire.
            var reply = status is null or WebSocketCloseStatus.Empty ? WebSocketCloseStatus.NormalClosure : status.Value;
            using var cts = new CancellationTokenSource(CloseHandshakeTimeout);
            try
            {
                await _ws.CloseOutputAsync(reply, _ws.CloseStatusDescription, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or InvalidOperationException or ObjectDisposedException or IOException or OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// The receive loop failed. Tells apart a Close frame ManagedWebSocket sent on its own (bad UTF-8 -> 1007,
    /// framing error -> 1002; the client still gets to answer it), a keep-alive timeout, and a vanished peer.
    /// </summary>
    public async Task OnReceiveFailedAsync(Exception error, bool heartbeatEnabled)
    {
        if (!TryRecordOutcome())
        {
            return;
        }

        if (_transport?.ServerCloseCode is int code)
        {
            Interlocked.Exchange(ref _closeSent, 1);
            _stats.RecordServerClose(code);
            await _transport.DrainUntilCloseFrameAsync(CloseHandshakeTimeout).ConfigureAwait(false);
        }
        else if (heartbeatEnabled && _transport?.PeerFailed != true
            && (_transport?.AbortedWhileHealthy == true || IsSelfAbort(error)))
        {
            _stats.RecordServerAbort(TargetStats.AbortHeartbeat);
        }
        else
        {
            _stats.RecordAbort();
        }
    }

    /// <summary>
    /// Nobody on our side called Abort (that records an outcome first), so a Kestrel ConnectionAbortedException
    /// means ASP.NET's AbortStream aborted the request after ManagedWebSocket faulted its keep-alive. When the
    /// transport was not cancelled, .NET wraps the keep-alive exception instead; its message names the setting.
    /// </summary>
    private static bool IsSelfAbort(Exception error)
    {
        var pending = new Stack<Exception>();
        pending.Push(error);
        while (pending.Count > 0)
        {
            var e = pending.Pop();
            if (e is ConnectionAbortedException
                || (e is WebSocketException && e.Message.Contains("KeepAliveTimeout", StringComparison.Ordinal)))
            {
                return true;
            }

            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (e.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }

        return false;
    }

    /// <summary>Called last: a connection that ended without any recorded outcome counts as aborted.</summary>
    public void OnEnded()
    {
        if (TryRecordOutcome())
        {
            _stats.RecordAbort();
        }

        _closeDeadline?.Dispose();
    }

    private bool TryRecordOutcome() => Interlocked.Exchange(ref _outcomeRecorded, 1) == 0;
}
