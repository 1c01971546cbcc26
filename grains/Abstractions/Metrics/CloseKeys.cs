namespace SimCluster.Abstractions.Metrics;

/// <summary>
/// Keys of a group's close tally (snapshot <c>CloseCodes</c>): a bare close code ("1000", "1006") is how a
/// connection ended; prefixed keys classify failures, and the report splits them into their own sections.
/// </summary>
public static class CloseKeys
{
    /// <summary>A connect that failed, by <c>ConnectFailedException.Label</c> (report <c>connectErrors</c>).</summary>
    public const string ConnectError = "connect-error:";

    /// <summary>A connection lost without a Close frame, by <c>DisconnectCause</c> label (report <c>disconnectCauses</c>).</summary>
    public const string DisconnectCause = "disconnect:";
}
