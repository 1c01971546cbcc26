namespace SimCluster.Transport.Faults;

/// <summary>
/// While active, nothing passes: written bytes vanish and received bytes are never handed to the
/// application. No FIN or RST is sent, so the peer only notices through its own timeouts, which is what
/// a pulled cable or a lost radio looks like. Used for both directions (blackhole) or one (one-way loss).
/// </summary>
public sealed class BlackholeFault : IStreamFault
{
    private volatile bool _active;

    public BlackholeFault(bool active = false) => _active = active;

    public string Name => "blackhole";

    public bool IsActive => _active;

    public void Activate() => _active = true;

    public long? Schedule(int byteCount, long due) => _active ? null : due;
}
