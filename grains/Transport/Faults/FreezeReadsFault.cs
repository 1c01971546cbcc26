namespace SimCluster.Transport.Faults;

/// <summary>
/// The application stops processing what arrives (a hung app): incoming bytes, PINGs included, are never
/// handed to the WebSocket, so it answers nothing. The stream still drains the socket underneath so it can
/// timestamp the moment the server gives up (FIN or RST), without answering anything.
/// Only meaningful on the <see cref="Direction.Down"/> path.
/// </summary>
public sealed class FreezeReadsFault : IStreamFault
{
    private volatile bool _active;

    public string Name => "freeze-reads";

    public bool IsActive => _active;

    public void Activate() => _active = true;

    public long? Schedule(int byteCount, long due) => _active ? null : due;
}
