namespace SimCluster.Transport.Faults;

/// <summary>Which way bytes move: <see cref="Up"/> is client to server, <see cref="Down"/> server to client.</summary>
public enum Direction { Up, Down }

/// <summary>
/// One network fault, in the shape of a Toxiproxy "toxic": it sees each chunk of bytes that moves in one
/// direction and decides when that chunk may pass. Faults compose: the stream asks each in turn, feeding
/// the time one returns to the next. Instances are per connection and per direction, so they may keep state
/// (a bandwidth bucket, a seeded random source) without locks: the stream calls them from one direction's
/// path at a time.
/// </summary>
public interface IStreamFault
{
    /// <summary>Registry name, as used in scenario files and reports.</summary>
    string Name { get; }

    /// <summary>
    /// When may <paramref name="byteCount"/> bytes pass, given that without this fault they would pass at
    /// <paramref name="due"/> (a <see cref="TimeProvider"/> timestamp)? Return <paramref name="due"/> to let
    /// them through, a later timestamp to delay them, or <c>null</c> to hold them forever (they never arrive).
    /// </summary>
    long? Schedule(int byteCount, long due);
}
