namespace SimCluster.Grains.Clients;

/// <summary>
/// Which of the last <see cref="Window"/> sequence numbers (below a moving limit) have been seen: a 32-byte
/// bitmap per client instead of a set that grows for the whole run. Used to recognise duplicates.
/// </summary>
public sealed class RecentSequences
{
    public const int Window = 256;

    private readonly ulong[] _bits = new ulong[Window / 64];

    /// <summary>Marks <paramref name="seq"/> as seen; <paramref name="limit"/> is the next number not yet issued.</summary>
    public void Mark(long seq, long limit)
    {
        if (seq <= 0 || seq >= limit || limit - seq > Window) return;
        var slot = (int)(seq % Window);
        _bits[slot >> 6] |= 1UL << (slot & 63);
    }

    public bool Seen(long seq, long limit)
    {
        if (seq <= 0 || seq >= limit || limit - seq > Window) return false;
        var slot = (int)(seq % Window);
        return (_bits[slot >> 6] & (1UL << (slot & 63))) != 0;
    }

    /// <summary>Clears the slot a newly issued number will use, so a stale bit never marks it.</summary>
    public void Issue(long seq)
    {
        var slot = (int)(seq % Window);
        _bits[slot >> 6] &= ~(1UL << (slot & 63));
    }
}
