using SimCluster.Abstractions.Metrics;

namespace SimCluster.Scenarios;

/// <summary>Which aggregations make sense on which kind of metric (README, "Thresholds").</summary>
public static class ThresholdRules
{
    public static IReadOnlyList<Aggregation> AllowedFor(MetricKind kind) => kind switch
    {
        MetricKind.Counter => [Aggregation.Count, Aggregation.Rate, Aggregation.Value],
        MetricKind.Ratio => [Aggregation.Value, Aggregation.Rate],
        MetricKind.Trend => [Aggregation.Percentile, Aggregation.Avg, Aggregation.Min, Aggregation.Max, Aggregation.Med, Aggregation.Count],
        _ => [Aggregation.Value],
    };

    public static bool Fits(MetricKind kind, Aggregation aggregation) => AllowedFor(kind).Contains(aggregation);

    /// <summary>How an aggregation is written: count, p(N), ...</summary>
    public static string Spelling(Aggregation aggregation) =>
        aggregation == Aggregation.Percentile ? "p(N)" : aggregation.ToString().ToLowerInvariant();
}
