namespace SimCluster.Transport.Malformed;

/// <summary>Where and how a case runs: the client's connect options (target, source address, link faults, headers).</summary>
public sealed record CaseContext
{
    public required ConnectOptions Connect { get; init; }

    /// <summary>Multiplies every case deadline (slow links need longer to carry a flood).</summary>
    public double DeadlineScale { get; init; } = 1.0;

    public TimeProvider Time => Connect.Time;

    public TimeSpan Scale(TimeSpan deadline) => deadline * Math.Max(1.0, DeadlineScale);
}
