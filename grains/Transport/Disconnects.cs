using System.Net.Sockets;
using System.Net.WebSockets;

namespace SimCluster.Transport;

/// <summary>A server announced a message larger than the tool accepts; the connection was reset unread.</summary>
public sealed class MessageTooBigException(long announced, long limit)
    : IOException(announced == long.MaxValue
        ? $"the server announced a message of more than {long.MaxValue} bytes (limit {limit})"
        : $"the server announced a message of {announced} bytes, over the limit of {limit} bytes")
{
    public long Announced { get; } = announced;
    public long Limit { get; } = limit;
}

/// <summary>
/// Why a connection ended without a Close frame from the server, in labels a report can count
/// (report.json <c>disconnectCauses</c>): a hostile or broken server is classified, not just "1006".
/// </summary>
public static class DisconnectCause
{
    /// <summary>A frame header announced a message over the maximum message size; we reset the connection.</summary>
    public const string MessageTooBig = "message-too-big";
    /// <summary>
    /// The server started a fragmented message and did not finish it within the fragment time limit (the run's
    /// <c>messages.lossTimeout</c>); we reset the connection.
    /// </summary>
    public const string StalledFragment = "stalled-fragment";
    /// <summary>The TCP connection ended in the middle of a frame.</summary>
    public const string ClosedMidFrame = "closed-mid-frame";
    /// <summary>The TCP connection ended between frames, without a close handshake.</summary>
    public const string ClosedWithoutHandshake = "closed-without-handshake";
    /// <summary>The peer reset the TCP connection.</summary>
    public const string Reset = "reset";
    /// <summary>The server broke the protocol (invalid UTF-8 in a text message, a bad frame); the WebSocket failed it.</summary>
    public const string ProtocolError = "protocol-error";
    public const string Other = "other";

    public static string Classify(Exception? error, FrameScanner? scanner)
    {
        // The WebSocket wraps what the stream threw (WebSocketException -> IOException -> SocketException):
        // the innermost known cause wins.
        var chain = new List<Exception>();
        for (var e = error; e is not null; e = e.InnerException) chain.Add(e);
        if (chain.Any(e => e is MessageTooBigException)) return MessageTooBig;
        // Our own reset surfaces as a socket error: the scanner knows why it was done.
        if (scanner?.FragmentStalled == true) return StalledFragment;
        if (chain.Any(e => e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted })) return Reset;
        var premature = chain.Any(e => e is WebSocketException { WebSocketErrorCode: WebSocketError.ConnectionClosedPrematurely });
        if (!premature && chain.Any(e => e is WebSocketException)) return ProtocolError;
        if (scanner?.MidFrame == true) return ClosedMidFrame;
        if (premature) return ClosedWithoutHandshake;
        return error is null ? ClosedWithoutHandshake : Other;
    }
}
