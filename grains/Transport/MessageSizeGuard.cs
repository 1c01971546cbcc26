namespace SimCluster.Transport;

/// <summary>
/// The maximum message size on receive as the fault stream enforces it: once the frame scanner finds a header
/// announcing a message over the limit, the connection is reset with nothing of the payload read, and every read
/// from then on fails with the same <see cref="MessageTooBigException"/>.
/// </summary>
internal sealed class MessageSizeGuard(FrameScanner scanner, Action reset)
{
    private volatile MessageTooBigException? _refusal;
    private bool _refuseAtFirstRead;

    /// <summary>The refusal, once there is one.</summary>
    public MessageTooBigException? Refusal => _refusal;

    /// <summary>Resets the connection now and returns the refusal to throw.</summary>
    public MessageTooBigException Refuse()
    {
        reset();
        return _refusal ??= new MessageTooBigException(scanner.Oversized ?? 0, scanner.MaxMessageSize);
    }

    /// <summary>
    /// The bytes that came with the upgrade announced too much: refused at the first read, not while the connect
    /// completes (the connection opened, and is lost to an oversized message).
    /// </summary>
    public void RefuseAtFirstRead() => _refuseAtFirstRead = true;

    /// <summary>At the start of every read: the refusal to fail it with, if any.</summary>
    public MessageTooBigException? AtRead()
    {
        if (_refuseAtFirstRead)
        {
            _refuseAtFirstRead = false;
            Refuse();
        }
        return _refusal;
    }
}
