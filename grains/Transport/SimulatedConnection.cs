using System.Net;
using System.Net.WebSockets;
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

public readonly record struct ConnectionClosed(CloseInitiator Initiator, int? Code, string? Reason, string? Error);

/// <summary>What a connection reports to its owner. Called on thread-pool threads, never concurrently for one connection.</summary>
public interface IConnectionListener
{
    void OnText(string text);

    void OnClosed(ConnectionClosed closed);
}

/// <summary>
/// One live WebSocket of a simulated client, driven through Websocket.Client over our own connection
/// factory (<see cref="WebSocketConnector"/>). Websocket.Client's own reconnection is off: reconnects are
/// the grain's decision. Deliberate drops (close, reset, blackhole) detach the listener first, so the
/// owner hears about a connection's end exactly once.
/// </summary>
public sealed class SimulatedConnection : IDisposable
{
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(2);

    private readonly WebsocketClient _client;
    private readonly IDisposable _messages;
    private readonly IDisposable _disconnections;
    private IConnectionListener? _listener;
    private OpenedSocket? _opened;
    private Exception? _connectError;
    private int _ended;

    private SimulatedConnection(ConnectOptions options, IConnectionListener listener)
    {
        _listener = listener;
        _client = new WebsocketClient(options.Target, logger: null, connectionFactory: async (_, ct) =>
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

    /// <summary>Opens a connection or throws <see cref="ConnectFailedException"/> (classified).</summary>
    public static async Task<SimulatedConnection> OpenAsync(ConnectOptions options, IConnectionListener listener, CancellationToken ct = default)
    {
        var connection = new SimulatedConnection(options, listener);
        try
        {
            await connection._client.StartOrFail().WaitAsync(options.ConnectTimeout + StopBound, ct).ConfigureAwait(false);
            if (connection._opened is null) throw new ConnectFailedException(ConnectFailure.Other, "no connection was opened");
            return connection;
        }
        catch (Exception e)
        {
            connection._listener = null;
            connection.DisposeClient();
            throw connection._connectError as ConnectFailedException
                ?? (e as ConnectFailedException)
                ?? new ConnectFailedException(e is TimeoutException ? ConnectFailure.Timeout : ConnectFailure.Other,
                    (connection._connectError ?? e).Message, inner: connection._connectError ?? e);
        }
    }

    public FaultStream Stream => _opened!.Stream;

    public IPEndPoint? LocalEndPoint => _opened?.LocalEndPoint;

    public bool IsOpen => Volatile.Read(ref _ended) == 0 && _client.IsRunning;

    /// <summary>Queues a text message; false when the connection is no longer running.</summary>
    public bool Send(string text) => IsOpen && _client.Send(text);

    /// <summary>Graceful close handshake, bounded: a peer that never answers cannot hang the caller.</summary>
    public async Task CloseAsync(int code = 1000, string reason = "bye")
    {
        if (!Detach()) return;
        try
        {
            await _client.Stop((WebSocketCloseStatus)code, reason).WaitAsync(StopBound).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer did not finish the handshake in time; the socket is torn down below regardless.
        }
        DisposeClient();
    }

    /// <summary>Abrupt RST with no close frame.</summary>
    public void Reset()
    {
        if (!Detach()) return;
        _opened?.Stream.Reset();
        DisposeClient();
    }

    /// <summary>
    /// Goes silent both ways without telling the server. The socket stays open (the server holds a half-open
    /// connection) until <see cref="Release"/>; <see cref="FaultStream.PeerGone"/> tells when the server gave up.
    /// </summary>
    public void Blackhole()
    {
        if (!Detach()) return;
        _opened?.Stream.Blackhole();
    }

    /// <summary>
    /// The application hangs: nothing that arrives reaches the WebSocket (no PONGs, no messages), while the
    /// raw socket is still drained so <see cref="FaultStream.PeerGone"/> can tell when the server gave up.
    /// </summary>
    public void FreezeReads()
    {
        if (!Detach()) return;
        _opened?.Stream.FrozenReads.Activate();
    }

    /// <summary>Ends a blackholed or frozen connection for good (RST, so nothing more reaches the server).</summary>
    public void Release()
    {
        _opened?.Stream.Reset();
        DisposeClient();
    }

    /// <summary>Stops detaching events and returns true the first time the connection is ended by us.</summary>
    private bool Detach()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return false;
        _listener = null;
        return true;
    }

    private void OnMessage(ResponseMessage message)
    {
        if (message.MessageType == WebSocketMessageType.Text && message.Text is { } text)
            _listener?.OnText(text);
    }

    private void OnDisconnected(DisconnectionInfo info)
    {
        var listener = _listener;
        if (listener is null || Interlocked.Exchange(ref _ended, 1) != 0) return;
        _listener = null;
        var closed = info.Type switch
        {
            DisconnectionType.ByServer => new ConnectionClosed(CloseInitiator.Server, (int?)info.CloseStatus, info.CloseStatusDescription, null),
            DisconnectionType.ByUser or DisconnectionType.Exit => new ConnectionClosed(CloseInitiator.Client, (int?)info.CloseStatus, info.CloseStatusDescription, null),
            _ => new ConnectionClosed(CloseInitiator.Lost, null, null, info.Exception?.GetBaseException().Message ?? info.Type.ToString()),
        };
        listener.OnClosed(closed);
        // Websocket.Client may still be inside its receive loop; tear down outside it.
        _ = Task.Run(DisposeClient);
    }

    private void DisposeClient()
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

    public void Dispose()
    {
        Detach();
        DisposeClient();
    }
}
