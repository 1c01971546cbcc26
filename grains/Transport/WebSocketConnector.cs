using System.Net;
using System.Net.WebSockets;

namespace SimCluster.Transport;

/// <summary>An open WebSocket and the fault stream under it.</summary>
public sealed record OpenedSocket(WebSocket WebSocket, FaultStream Stream, IPEndPoint? LocalEndPoint);

/// <summary>
/// Opens a WebSocket the way a simulated client needs: from a chosen source address, over a
/// <see cref="FaultStream"/> (<see cref="SocketOpener"/>), with our own upgrade request. This is the connection
/// factory handed to Websocket.Client, so that fault injection and address binding happen below it.
/// </summary>
public static class WebSocketConnector
{
    public static Task<OpenedSocket> ConnectAsync(ConnectOptions options, CancellationToken ct) =>
        SocketOpener.OpenAsync(options, async (stream, timeout) =>
        {
            var leftover = await UpgradeHandshake.PerformAsync(stream, options.Target, options.Headers, options.MaxHandshakeBytes, timeout, options.SubProtocols, options.RequireSubProtocol).ConfigureAwait(false);
            stream.StartScanning(leftover.Span);
            var webSocket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = false,
                KeepAliveInterval = options.KeepAliveInterval,
            });
            return new OpenedSocket(webSocket, stream, stream.Socket.LocalEndPoint as IPEndPoint);
        }, ct);
}
