namespace SimCluster.Scenarios;

/// <summary>
/// A duration drawn uniformly between <see cref="Min"/> and <see cref="Max"/> (both included), written
/// <c>2s..5s</c>, or <c>2s</c> for a fixed value. Draws use the run's seeded <see cref="Random"/> so a
/// run with the same seed replays the same timings.
/// </summary>
public sealed record DurationRange(TimeSpan Min, TimeSpan Max)
{
    public static DurationRange Fixed(TimeSpan value) => new(value, value);

    public bool IsFixed => Min == Max;

    /// <summary>Uniform over whole ticks in [Min, Max]; always consumes exactly one draw, so sequences stay aligned.</summary>
    public TimeSpan Draw(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (Max < Min) throw new InvalidOperationException($"range {this} has Max below Min");
        return TimeSpan.FromTicks(rng.NextInt64(Min.Ticks, Max.Ticks + 1));
    }

    public static bool TryParse(string text, out DurationRange? range, out string? error) =>
        Units.TryParseRange(text, out range, out error);

    public override string ToString() =>
        IsFixed ? Units.FormatDuration(Min) : $"{Units.FormatDuration(Min)}..{Units.FormatDuration(Max)}";
}
