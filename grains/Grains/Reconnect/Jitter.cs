namespace SimCluster.Grains.Reconnect;

public enum Jitter { None, Equal, Full }

public static class JitterExtensions
{
    public static Jitter Parse(string name) => name switch
    {
        "none" => Jitter.None,
        "equal" => Jitter.Equal,
        "full" => Jitter.Full,
        _ => throw new ArgumentException($"unknown jitter '{name}' (none, equal, full)"),
    };

    public static TimeSpan Apply(this Jitter jitter, TimeSpan delay, Random random) => jitter switch
    {
        Jitter.Full => TimeSpan.FromTicks((long)(random.NextDouble() * delay.Ticks)),
        Jitter.Equal => delay / 2 + TimeSpan.FromTicks((long)(random.NextDouble() * delay.Ticks / 2)),
        _ => delay,
    };
}
