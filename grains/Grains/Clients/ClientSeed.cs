namespace SimCluster.Grains.Clients;

/// <summary>
/// Derives each client's random seeds from the run's seed. Deterministic across processes, unlike
/// <see cref="HashCode.Combine{T1, T2}"/>, whose per-process random salt would give a client a different
/// schedule on every silo and every run, breaking "the same seed repeats the same schedule".
/// </summary>
public static class ClientSeed
{
    /// <summary>Stream 0: the client's behaviour, reconnect and traffic decisions.</summary>
    public const int Schedule = 0;

    /// <summary>Stream 1: the client's link faults (jitter, loss).</summary>
    public const int Link = 1;

    /// <summary>Stream 2: the client's token faults (which tokens get a bad signature).</summary>
    public const int Tokens = 2;

    public static int For(long runSeed, int clientIndex, int stream)
    {
        var x = Mix((ulong)runSeed);
        x = Mix(x ^ (uint)clientIndex);
        x = Mix(x ^ (uint)stream);
        return (int)(x ^ (x >> 32));
    }

    /// <summary>SplitMix64's finaliser.</summary>
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
