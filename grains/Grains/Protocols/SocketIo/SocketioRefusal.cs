using SimCluster.Abstractions.Metrics;

namespace SimCluster.Grains.Protocols.SocketIo;

/// <summary>Why a server answered a namespace connect with CONNECT_ERROR (<c>44{message}</c>).</summary>
public enum SocketioRefusal
{
    /// <summary>The server's own refusal of a namespace it does not have (<c>Invalid namespace</c>).</summary>
    InvalidNamespace,
    /// <summary>Anything a middleware said (<c>next(new Error(...))</c>): with a token presented, an auth rejection.</summary>
    Rejected,
}

public static class SocketioRefusals
{
    /// <summary>The message socket.io sends for a namespace it does not have.</summary>
    public const string InvalidNamespaceMessage = "Invalid namespace";

    public static SocketioRefusal Classify(string? message) =>
        message == InvalidNamespaceMessage ? SocketioRefusal.InvalidNamespace : SocketioRefusal.Rejected;

    /// <summary>The disconnect cause of a refused namespace connect: <c>connect:socketio-invalid-namespace</c>, <c>connect:socketio-rejected</c>.</summary>
    public static string Cause(this SocketioRefusal refusal) => DisconnectCauses.Of(DisconnectCauses.Connect, refusal switch
    {
        SocketioRefusal.InvalidNamespace => "socketio-invalid-namespace",
        _ => "socketio-rejected",
    });
}
