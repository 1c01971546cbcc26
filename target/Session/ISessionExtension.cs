namespace SimCluster.Target;

/// <summary>
/// Extension point for session-protocol frame types beyond hello/msg/ack/ping, e.g. "auth.refresh"
/// (JWT refresh, added separately). Register instances with <see cref="SessionStore"/>; a frame whose type
/// has no extension is answered with {"type":"error","reason":"unknown type"}.
/// </summary>
internal interface ISessionExtension
{
    /// <summary>The frame "type" this extension handles.</summary>
    string Type { get; }

    /// <summary>
    /// Handles one frame. <paramref name="frame"/> is the whole JSON object (valid only during the call).
    /// Reply with <see cref="SessionProtocolHandler.SendUnsequenced"/> (e.g. auth.refreshed / auth.rejected) or
    /// close with <see cref="SessionProtocolHandler.RequestCloseAsync(int, string)"/> (e.g. 4001 on expiry).
    /// </summary>
    ValueTask HandleAsync(SessionProtocolHandler connection, ReadOnlyMemory<byte> frame);
}
