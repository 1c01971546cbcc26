using System.Net;
using System.Net.WebSockets;
using Microsoft.IO;
using SimCluster.Abstractions.Plans;
using Websocket.Client;

namespace SimCluster.Transport;

/// <summary>Who ended a connection, as far as the client can tell.</summary>
public enum CloseInitiator
{
    /// <summary>The server sent a Close frame.</summary>
    Server,
    /// <summary>The TCP connection ended without a close handshake (FIN or RST from the peer, or an error).</summary>
    Lost,
    /// <summary>We closed it (graceful close, reset, blackhole).</summary>
    Client,
}

/// <param name="Loss">For <see cref="CloseInitiator.Lost"/>: why, as a <see cref="DisconnectCause"/> label.</param>
public readonly record struct ConnectionClosed(CloseInitiator Initiator, int? Code, string? Reason, string? Error, string? Loss = null);

/// <summary>What a connection reports to its owner. Called on thread-pool threads, never concurrently for one connection.</summary>
public interface IConnectionListener
{
    void OnText(string text);

    void OnClosed(ConnectionClosed closed);
}

/// <summary>
/// One live WebSocket of a simulated client, over our own connection factory (<see cref="WebSocketConnector"/>).
/// Reconnects are the grain's decision, never the driver's. Deliberate drops (close, reset, blackhole)
/// detach the listener first, so the owner hears about a connection's end exactly once.
/// </summary>
public abstract class SimulatedConnection : IDisposable, ITextChannel
{
    protected static readonly TimeSpan StopBound = TimeSpan.FromSeconds(2);

    private IConnectionListener? _listener;
    private int _ended;

    protected SimulatedConnection(IConnectionListener listener) => _listener = listener;

    /// <summary>Opens a connection or throws <see cref="ConnectFailedException"/> (classified).</summary>
    public static async Task<SimulatedConnection> OpenAsync(ConnectOptions options, IConnectionListener listener, CancellationToken ct = default) =>
        options.Driver == ClientDriver.Lean
            ? await LeanConnection.OpenAsync(options, listener, ct).ConfigureAwait(false)
            : await WebsocketClientConnection.OpenAsync(options, listener, ct).ConfigureAwait(false);

    protected abstract OpenedSocket? Opened { get; }

    public FaultStream Stream => Opened!.Stream;

    public IPEndPoint? LocalEndPoint => Opened?.LocalEndPoint;

    /// <summary>When the server gave up on the connection (<see cref="FaultStream.PeerGone"/>); virtual so a fake connection can play the server.</summary>
    public virtual Task<long> PeerGone => Stream.PeerGone;

    /// <summary>The code of the server's Close frame when that is how <see cref="PeerGone"/> completed.</summary>
    public virtual int? PeerCloseCode => Stream.PeerCloseCode;

    public abstract bool IsOpen { get; }

    protected bool Ended => Volatile.Read(ref _ended) != 0;

    /// <summary>Queues a text message; false when the connection is no longer running.</summary>
    public abstract bool Send(string text);

    /// <summary>Graceful close handshake, bounded: a peer that never answers cannot hang the caller.</summary>
    public abstract Task CloseAsync(int code = 1000, string reason = "bye");

    /// <summary>Abrupt RST with no close frame.</summary>
    public virtual void Reset()
    {
        if (!Detach()) return;
        Opened?.Stream.Reset();
        DisposeDriver();
    }

    /// <summary>
    /// Goes silent both ways without telling the server. The socket stays open (the server holds a half-open
    /// connection) until <see cref="Release"/>; <see cref="FaultStream.PeerGone"/> tells when the server gave up.
    /// </summary>
    public virtual void Blackhole()
    {
        if (!Detach()) return;
        Opened?.Stream.Blackhole();
    }

    /// <summary>
    /// The application hangs: nothing that arrives reaches the WebSocket (no PONGs, no messages), while the
    /// raw socket is still drained so <see cref="FaultStream.PeerGone"/> can tell when the server gave up.
    /// </summary>
    public virtual void FreezeReads()
    {
        if (!Detach()) return;
        Opened?.Stream.FrozenReads.Activate();
    }

    /// <summary>Closes the TCP connection (FIN) without a WebSocket close handshake.</summary>
    public virtual void CloseTcp()
    {
        if (!Detach()) return;
        Opened?.Stream.Dispose();
        DisposeDriver();
    }

    /// <summary>Ends a blackholed or frozen connection for good (RST, so nothing more reaches the server).</summary>
    public virtual void Release()
    {
        Opened?.Stream.Reset();
        DisposeDriver();
    }

    /// <summary>Stops delivering events and returns true the first time the connection is ended by us.</summary>
    protected bool Detach()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return false;
        _listener = null;
        return true;
    }

    protected void DeliverText(string text) => _listener?.OnText(text);

    /// <summary>Reports the end of the connection to the listener, once, unless we ended it ourselves.</summary>
    protected bool DeliverClosed(ConnectionClosed closed)
    {
        var listener = _listener;
        if (listener is null || Interlocked.Exchange(ref _ended, 1) != 0) return false;
        _listener = null;
        listener.OnClosed(closed);
        return true;
    }

    /// <summary>Tears the driver and the socket down without waiting on the peer.</summary>
    protected abstract void DisposeDriver();

    public void Dispose()
    {
        Detach();
        DisposeDriver();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The default driver: Websocket.Client, its own reconnection off.</summary>
internal sealed class WebsocketClientConnection : SimulatedConnection
{
    /// <summary>
    /// Websocket.Client assembles every received message in a pooled stream, taken before it waits for the
    /// message. Its default pool hands out 128 KB blocks and keeps every block it ever lent; thousands of
    /// clients need small blocks and a bounded pool instead.
    /// </summary>
    private static readonly RecyclableMemoryStreamManager MessageStreams = new(new RecyclableMemoryStreamManager.Options
    {
        BlockSize = 1024,
        LargeBufferMultiple = 64 * 1024,
        MaximumBufferSize = 16 * 1024 * 1024,
        MaximumSmallPoolFreeBytes = 8 * 1024 * 1024,
        MaximumLargePoolFreeBytes = 32 * 1024 * 1024,
    });

    private readonly WebsocketClient _client;
    private readonly IDisposable _messages;
    private readonly IDisposable _disconnections;
    private readonly Lock _sendGate = new();
    private Task _sends = Task.CompletedTask;
    private OpenedSocket? _opened;
    private Exception? _connectError;

    private WebsocketClientConnection(ConnectOptions options, IConnectionListener listener) : base(listener)
    {
        _client = new WebsocketClient(options.Target, logger: null, memoryStreamManager: MessageStreams, connectionFactory: async (_, ct) =>
        {
            try
            {
                _opened = await WebSocketConnector.ConnectAsync(options, ct).ConfigureAwait(false);
                return _opened.WebSocket;
            }
            catch (Exception e)
            {
                _connectError = e;
                throw;
            }
        })
        {
            IsReconnectionEnabled = false,
            ReconnectTimeout = null,
            ErrorReconnectTimeout = null,
            LostReconnectTimeout = null,
            IsTextMessageConversionEnabled = true,
        };
        _messages = _client.MessageReceived.Subscribe(OnMessage);
        _disconnections = _client.DisconnectionHappened.Subscribe(OnDisconnected);
    }

    public static new async Task<SimulatedConnection> OpenAsync(ConnectOptions options, IConnectionListener listener, CancellationToken ct = default)
    {
        var connection = new WebsocketClientConnection(options, listener);
        try
        {
            await connection._client.StartOrFail().WaitAsync(options.ConnectTimeout + StopBound, ct).ConfigureAwait(false);
            if (connection._opened is null) throw new ConnectFailedException(ConnectFailure.Other, "no connection was opened");
            return connection;
        }
        catch (ObjectDisposedException) when (connection._opened is not null && connection.Ended)
        {
            // The server ended the connection while Websocket.Client was still starting (a hostile first frame):
            // the end is delivered already and the driver disposed itself under StartOrFail. Opened, then lost.
            return connection;
        }
        catch (Exception e)
        {
            connection.Detach();
            connection.DisposeDriver();
            throw connection._connectError as ConnectFailedException
                ?? (e as ConnectFailedException)
                ?? new ConnectFailedException(
                    e is TimeoutException || (connection._connectError is OperationCanceledException && !ct.IsCancellationRequested)
                        ? ConnectFailure.Timeout : ConnectFailure.Other,
                    (connection._connectError ?? e).Message, inner: connection._connectError ?? e);
        }
    }

    protected override OpenedSocket? Opened => _opened;

    public override bool IsOpen => !Ended && _client.IsRunning;

    /// <summary>
    /// Sends go out one after another, each once the one before it is written, rather than through Websocket.Client's
    /// own queue: its Stop sends the close frame at once, past whatever is still queued, and a message counted sent
    /// would never reach the server. A clean close waits for <see cref="_sends"/> first.
    /// </summary>
    public override bool Send(string text)
    {
        if (!IsOpen) return false;
        lock (_sendGate) _sends = SendAfterAsync(_sends, text);
        return true;
    }

    private async Task SendAfterAsync(Task previous, string text)
    {
        await previous.ConfigureAwait(false);
        try
        {
            await _client.SendInstant(text).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection ended under the send: its end is reported by the disconnection, not here.
        }
    }

    public override async Task CloseAsync(int code = 1000, string reason = "bye")
    {
        if (!Detach()) return;
        try
        {
            Task sends;
            lock (_sendGate) sends = _sends;
            await sends.WaitAsync(StopBound).ConfigureAwait(false);
            await _client.Stop((WebSocketCloseStatus)code, reason).WaitAsync(StopBound).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer did not finish the handshake in time; the socket is torn down below regardless.
        }
        DisposeDriver();
    }

    private void OnMessage(ResponseMessage message)
    {
        if (message.MessageType == WebSocketMessageType.Text && message.Text is { } text) DeliverText(text);
    }

    private void OnDisconnected(DisconnectionInfo info)
    {
        var closed = info.Type switch
        {
            DisconnectionType.ByServer => new ConnectionClosed(CloseInitiator.Server, (int?)info.CloseStatus, info.CloseStatusDescription, null),
            DisconnectionType.ByUser or DisconnectionType.Exit => new ConnectionClosed(CloseInitiator.Client, (int?)info.CloseStatus, info.CloseStatusDescription, null),
            _ => new ConnectionClosed(CloseInitiator.Lost, null, null, info.Exception?.GetBaseException().Message ?? info.Type.ToString(),
                DisconnectCause.Classify(info.Exception, _opened?.Stream.Scanner)),
        };
        // Websocket.Client may still be inside its receive loop; tear down outside it.
        if (DeliverClosed(closed)) _ = Task.Run(DisposeDriver);
    }

    protected override void DisposeDriver()
    {
        _messages.Dispose();
        _disconnections.Dispose();
        // Dispose can block on a peer that never answers (websocket-client #139): do not wait for it.
        var dispose = Task.Run(() =>
        {
            try { _client.Dispose(); } catch (Exception) { /* best effort */ }
            _opened?.Stream.Dispose();
        });
        _ = dispose.WaitAsync(StopBound).ContinueWith(t => _opened?.Stream.Reset(), TaskContinuationOptions.OnlyOnFaulted);
    }
}
