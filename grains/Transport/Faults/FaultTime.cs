namespace SimCluster.Transport.Faults;

internal static class FaultTime
{
    /// <summary>Converts a duration to <see cref="TimeProvider"/> timestamp ticks (they need not be 100 ns).</summary>
    public static long ToTimestampTicks(TimeSpan duration, TimeProvider time) =>
        (long)(duration.TotalSeconds * time.TimestampFrequency);
}
