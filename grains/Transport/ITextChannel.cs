namespace SimCluster.Transport;

/// <summary>
/// What an application protocol needs of an open connection: send one text frame. False when the frame was not
/// taken (the connection is closing or gone). A connection and a test's fake connection both implement it.
/// </summary>
public interface ITextChannel
{
    bool Send(string text);
}
