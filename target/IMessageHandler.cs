using System.Net.WebSockets;

namespace SimCluster.Target;

/// <summary>What a connection does with each complete message; chosen by the connection's first message.</summary>
internal interface IMessageHandler
{
    /// <summary>Handles one complete message. <paramref name="payload"/> is a pooled buffer valid only until this returns.</summary>
    ValueTask OnMessageAsync(Connection connection, WebSocketMessageType type, ReadOnlyMemory<byte> payload);

    /// <summary>Starts a server-initiated close, in order with anything the handler still has to send.</summary>
    ValueTask RequestCloseAsync(Connection connection, int code, string reason);

    /// <summary>The connection has ended (any reason); release per-connection state.</summary>
    void OnConnectionEnded(Connection connection);
}
