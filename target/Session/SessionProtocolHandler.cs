using System.Net.WebSockets;
using System.Threading.Channels;

namespace SimCluster.Target;

/// <summary>
/// One connection speaking session protocol v1. Everything it sends goes through one outbound queue drained
/// by one writer task, so frames leave in the order the session queued them (server seqs ascending, even
/// with the push timer and a second connection writing at the same time) and a Close frame follows them.
/// </summary>
internal sealed class SessionProtocolHandler : IMessageHandler
{
    private readonly Connection _connection;
    private readonly SessionStore _store;
    private readonly TargetStats _stats;
    private readonly TimeSpan _echoDelay;
    private readonly int _queueLimit;
    private readonly Channel<Outbound> _outbound = Channel.CreateUnbounded<Outbound>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    private int _queued;
    private int _closing;
    private Session? _session;

    public SessionProtocolHandler(Connection connection, SessionStore store, TargetStats stats, TargetOptions options)
    {
        _connection = connection;
        _store = store;
        _stats = stats;
        _echoDelay = options.EchoDelay;

        // A reader this far behind will never catch up; dropping it lets it resume from the session buffer.
        _queueLimit = Math.Max(1024, options.SessionBufferLimit) + 64;
        _ = WriteLoopAsync();
    }

    public Connection Connection => _connection;

    /// <summary>The session this connection said hello to, or null before the hello.</summary>
    public string? SessionId => _session?.Id;

    public async ValueTask OnMessageAsync(Connection connection, WebSocketMessageType type, ReadOnlyMemory<byte> payload)
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return;
        }

        if (type != WebSocketMessageType.Text)
        {
            await RequestCloseAsync(1003, "binary frames not supported").ConfigureAwait(false);
            return;
        }

        if (!SessionFrames.TryParse(payload.Span, out var frame) || (_session is null && frame.Type != SessionFrameType.Hello))
        {
            Interlocked.Increment(ref _stats.InvalidMessages);
            await RequestCloseAsync(1008, "invalid message").ConfigureAwait(false);
            return;
        }

        switch (frame.Type)
        {
            case SessionFrameType.Hello:
                if (_session is not null)
                {
                    SendUnsequenced(SessionFrames.Error("duplicate hello"));
                    return;
                }

                _session = _store.Attach(this, frame.Session!, frame.LastSeq);
                return;

            case SessionFrameType.Msg:
                if (_echoDelay > TimeSpan.Zero)
                {
                    await Task.Delay(_echoDelay).ConfigureAwait(false);
                }

                var span = payload.Span;
                var result = _session!.OnClientMessage(frame.Seq, span.Slice(frame.TsStart, frame.TsLength), span.Slice(frame.BodyStart, frame.BodyLength));
                if (result == Session.ClientMessageResult.TooFarAhead)
                {
                    Interlocked.Increment(ref _stats.InvalidMessages);
                    await RequestCloseAsync(1008, "too many out-of-order messages").ConfigureAwait(false);
                }

                return;

            case SessionFrameType.Ack:
                _session!.Ack(frame.Seq);
                return;

            case SessionFrameType.Ping:
                SendUnsequenced(SessionFrames.Pong(payload.Span.Slice(frame.TsStart, frame.TsLength)));
                return;

            default:
                // Extension point: "auth.refresh" and other additions register an ISessionExtension.
                if (_store.Extensions.TryGetValue(frame.OtherType!, out var extension))
                {
                    await extension.HandleAsync(this, payload).ConfigureAwait(false);
                    return;
                }

                Interlocked.Increment(ref _stats.UnknownTypes);
                SendUnsequenced(SessionFrames.Error("unknown type"));
                return;
        }
    }

    /// <summary>Queues a frame that carries no server seq (pong, error, auth replies): not buffered, not replayed.</summary>
    public void SendUnsequenced(byte[] frame) => Enqueue(frame);

    /// <summary>Queues a frame; called by <see cref="Session"/> under its lock, so it must not block.</summary>
    internal void Enqueue(byte[] frame)
    {
        if (Interlocked.Increment(ref _queued) > _queueLimit)
        {
            Interlocked.Decrement(ref _queued);
            if (Interlocked.Exchange(ref _closing, 1) == 0)
            {
                _connection.Abort(TargetStats.AbortSlowConsumer);
            }

            return;
        }

        if (!_outbound.Writer.TryWrite(new Outbound(frame, 0, null)))
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    /// <summary>Another connection of the same session took over (make-before-break).</summary>
    internal void Supersede()
    {
        Interlocked.Increment(ref _stats.Superseded);
        _ = RequestCloseAsync(1000, "superseded");
    }

    public ValueTask RequestCloseAsync(int code, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            _connection.MarkClosing();
            _outbound.Writer.TryWrite(new Outbound(null, code, reason));
        }

        return ValueTask.CompletedTask;
    }

    ValueTask IMessageHandler.RequestCloseAsync(Connection connection, int code, string reason) => RequestCloseAsync(code, reason);

    public void OnConnectionEnded(Connection connection)
    {
        _outbound.Writer.TryComplete();
        _session?.Detach(this);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (item.Frame is null)
                    {
                        await _connection.CloseAsync(item.CloseCode, item.CloseReason!).ConfigureAwait(false);
                        return;
                    }

                    Interlocked.Decrement(ref _queued);
                    if (!await _connection.SendAsync(item.Frame, WebSocketMessageType.Text).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception)
        {
            // The socket is gone; undelivered frames stay in the session buffer for the next connection.
        }
        finally
        {
            // Later enqueues fail fast instead of piling up behind a writer that has stopped.
            _outbound.Writer.TryComplete();
        }
    }

    private readonly record struct Outbound(byte[]? Frame, int CloseCode, string? CloseReason);
}
