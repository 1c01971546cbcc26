using System.Net.WebSockets;

namespace SimCluster.Target;

/// <summary>Plain echo: every message goes back unchanged with the same message type. Stateless, one instance per target.</summary>
internal sealed class EchoHandler(TimeSpan echoDelay) : IMessageHandler
{
    public async ValueTask OnMessageAsync(Connection connection, WebSocketMessageType type, ReadOnlyMemory<byte> payload)
    {
        if (echoDelay > TimeSpan.Zero)
        {
            await Task.Delay(echoDelay).ConfigureAwait(false);
        }

        // A failed send is not fatal here: the receive loop sees how the connection really ended.
        await connection.SendAsync(payload, type).ConfigureAwait(false);
    }

    // The echo loop is the only sender besides this close, and ManagedWebSocket serialises sends internally.
    public ValueTask RequestCloseAsync(Connection connection, int code, string reason) =>
        new(connection.CloseAsync(code, reason));

    public void OnConnectionEnded(Connection connection)
    {
    }
}
