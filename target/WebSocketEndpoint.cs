using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SimCluster.Target;

/// <summary>
/// The WebSocket path: validates the handshake, accepts with the configured heartbeat, runs the receive loop,
/// and picks the protocol from the first message (a text "hello" object = session protocol, anything else = echo).
/// </summary>
internal sealed class WebSocketEndpoint
{
    private readonly TargetOptions _options;
    private readonly TargetStats _stats;
    private readonly SessionStore _sessions;
    private readonly ConnectionRegistry _connections;
    private readonly EchoHandler _echo;
    private readonly JwtVerifier? _verifier;
    private volatile bool _stopping;

    public WebSocketEndpoint(TargetOptions options, TargetStats stats, SessionStore sessions, ConnectionRegistry connections, JwtVerifier? verifier = null)
    {
        _verifier = verifier;
        _options = options;
        _stats = stats;
        _sessions = sessions;
        _connections = connections;
        _echo = new EchoHandler(options.EchoDelay);
    }

    /// <summary>Middleware for the WebSocket path, ahead of UseWebSockets: lets the socket run over an <see cref="ObservedStream"/>.</summary>
    public Task ObserveUpgradeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.Equals(_options.Path, StringComparison.OrdinalIgnoreCase)
            && context.Features.Get<IHttpUpgradeFeature>() is { } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new ObservedUpgradeFeature(upgrade,
                () => new ClientFrameGuard(_options.MaxMessageSize, _options.MaxFragments, _options.MaxPingsPerSecond)));
        }

        return next(context);
    }

    /// <summary>New handshakes are refused with 503 from now on (shutdown in progress).</summary>
    public void StopAccepting() => _stopping = true;

    public async Task HandleAsync(HttpContext context)
    {
        if (_stopping)
        {
            Interlocked.Increment(ref _stats.RejectedHandshakes);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            Interlocked.Increment(ref _stats.RejectedHandshakes);
            RejectHandshake(context);
            return;
        }

        // Tokens (when configured): checked before the upgrade; a missing, expired or badly signed one gets 401.
        VerifiedToken? verified = null;
        if (_verifier is not null)
        {
            (verified, _) = await _verifier.VerifyAsync(TokenOf(context.Request)).ConfigureAwait(false);
            if (verified is null)
            {
                Interlocked.Increment(ref _stats.RejectedHandshakes);
                Interlocked.Increment(ref _stats.AuthRejectedHandshakes);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
        }

        WebSocket socket;
        try
        {
            socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = _options.HeartbeatInterval,
                KeepAliveTimeout = _options.HeartbeatTimeout,
                // permessage-deflate when the client offers it (no shared window, so each message costs one
                // inflater and nothing more); the message limit applies to the inflated size.
                DangerousEnableCompression = true,
                DisableServerContextTakeover = true,
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException or IOException)
        {
            Interlocked.Increment(ref _stats.RejectedHandshakes);
            return;
        }

        var remote = NormalizeAddress(context.Connection.RemoteIpAddress);
        var transport = (context.Features.Get<IHttpUpgradeFeature>() as ObservedUpgradeFeature)?.Stream;
        var connection = new Connection(_connections.NextId(), socket, transport, _stats, _options.MaxMessageSize, remote);
        // Limits ManagedWebSocket lacks (non-minimal lengths, huge frame headers, fragment and PING floods) close here.
        transport?.Guard?.OnViolation(connection.CloseForViolation);
        Interlocked.Increment(ref _stats.Upgrades);
        Interlocked.Increment(ref _stats.OpenConnections);
        _stats.RecordSourceAddress(remote);
        _connections.Add(connection);
        if (verified is { } token)
        {
            connection.Auth = new ConnectionAuth(token, _verifier!.ClockSkew, _options.AuthEnforceExpiry, () =>
            {
                Interlocked.Increment(ref _stats.ExpiredCloses);
                _ = CloseAsync(connection, 4001, "token expired");
            });
        }

        try
        {
            await RunAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            connection.Auth?.Dispose();
            connection.Handler?.OnConnectionEnded(connection);
            connection.OnEnded();
            _connections.Remove(connection);
            Interlocked.Decrement(ref _stats.OpenConnections);
            socket.Dispose();
        }
    }

    private async Task RunAsync(Connection connection)
    {
        try
        {
            while (true)
            {
                var message = await connection.ReceiveAsync().ConfigureAwait(false);
                try
                {
                    switch (message.Kind)
                    {
                        case InboundKind.Close:
                            await connection.OnCloseReceivedAsync().ConfigureAwait(false);
                            return;

                        case InboundKind.TooBig:
                            await CloseAsync(connection, 1009, "message too big").ConfigureAwait(false);
                            // Skip the rest of the message on the raw stream (never decoding or inflating it) until the client's Close.
                            await connection.WaitForClientCloseAsync().ConfigureAwait(false);
                            return;

                        case InboundKind.Discarded:
                            continue;
                    }

                    if (connection.Draining)
                    {
                        continue;
                    }

                    _stats.RecordMessageIn(message.Length);
                    var handler = connection.Handler ??= ChooseHandler(connection, message);
                    await handler.OnMessageAsync(connection, message.Type, message.Payload).ConfigureAwait(false);
                }
                finally
                {
                    message.Release();
                }
            }
        }
        catch (Exception e)
        {
            // Any failure ends this connection only; the classifier decides how it is counted.
            await connection.OnReceiveFailedAsync(e, _options.HeartbeatTimeout > TimeSpan.Zero).ConfigureAwait(false);
        }
    }

    private IMessageHandler ChooseHandler(Connection connection, InboundMessage first)
    {
        if (first.Type == WebSocketMessageType.Text && SessionFrames.IsHello(first.Payload.Span))
        {
            return new SessionProtocolHandler(connection, _sessions, _stats, _options);
        }

        return _echo;
    }

    private static Task CloseAsync(Connection connection, int code, string reason)
    {
        connection.MarkClosing();
        return connection.Handler is { } handler
            ? handler.RequestCloseAsync(connection, code, reason).AsTask()
            : connection.CloseAsync(code, reason);
    }

    /// <summary>The token of an upgrade request: <c>?token=</c>, else <c>Authorization: Bearer</c>.</summary>
    private static string? TokenOf(HttpRequest request)
    {
        var query = request.Query["token"].ToString();
        if (query.Length > 0)
        {
            return query;
        }

        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    /// <summary>400 for a non-upgrade request, 426 with the supported version for a version mismatch (RFC 6455 4.4).</summary>
    private static void RejectHandshake(HttpContext context)
    {
        var headers = context.Request.Headers;
        var version = headers.SecWebSocketVersion.ToString();
        if (headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase) && version.Length > 0 && version != "13")
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.SecWebSocketVersion = "13";
            return;
        }

        context.Response.StatusCode = StatusCodes.Status400BadRequest;
    }

    private static string NormalizeAddress(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : address.ToString();
    }
}
