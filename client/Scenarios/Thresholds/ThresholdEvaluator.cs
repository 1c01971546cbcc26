using SimCluster.Abstractions.Metrics;

namespace SimCluster.Scenarios;

/// <summary>Where the evaluator gets numbers from: the run's aggregated metrics, whole-run or per group.</summary>
public interface IMetricSource
{
    /// <summary>False when there is no data for this metric (and group); for p(N) <paramref name="percentile"/> is N.</summary>
    bool TryGet(string metric, string? group, Aggregation aggregation, double? percentile, out double value);

    /// <summary>Clients planned in the scope (the run, or one group), for limits relative to the plan (<c>20*clients</c>).</summary>
    bool TryGetPlannedClients(string? group, out double clients)
    {
        clients = 0;
        return false;
    }
}

/// <summary>One threshold's verdict. <see cref="Note"/> explains a failure without a number ("no data").</summary>
public sealed record ThresholdResult(string Metric, string? Group, string Expression, double? Actual, bool Passed, string? Note);

public static class ThresholdEvaluator
{
    public const string NoData = "no data";

    /// <summary>
    /// Checks every threshold against <paramref name="source"/>. No data fails the threshold (a check
    /// that could not be made must not pass silently), except counts: a counter (or a trend's sample
    /// count) that never moved is simply 0.
    /// </summary>
    public static IReadOnlyList<ThresholdResult> Evaluate(IReadOnlyList<ThresholdSpec> thresholds, IMetricSource source)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        ArgumentNullException.ThrowIfNull(source);
        var results = new List<ThresholdResult>(thresholds.Count);
        foreach (var t in thresholds)
        {
            var expr = t.Parsed;
            double? actual = source.TryGet(t.Metric, t.Group, expr.Aggregation, expr.Percentile, out var value) && !double.IsNaN(value)
                ? value
                : ZeroWhenNothingCounted(t.Metric, expr.Aggregation);
            if (expr.Relative is { } relative)
            {
                // A limit from the run's own plan or counters: 20*clients, 0.99*messages_planned.
                double quantity;
                var known = true;
                if (relative == ThresholdExpression.Clients) known = source.TryGetPlannedClients(t.Group, out quantity);
                else if (!source.TryGet(relative, t.Group, Aggregation.Count, null, out quantity) || double.IsNaN(quantity))
                    quantity = 0; // a counter that never moved
                if (!known || double.IsNaN(quantity))
                {
                    results.Add(new ThresholdResult(t.Metric, t.Group, t.Expression, actual, false, $"{relative}: {NoData}"));
                    continue;
                }
                var limit = expr.Limit * quantity;
                results.Add(actual is { } r
                    ? new ThresholdResult(t.Metric, t.Group, t.Expression, r, expr.IsSatisfiedBy(r, limit), $"limit {limit:0.###} ({expr.Limit:0.###} x {relative} {quantity:0.###})")
                    : new ThresholdResult(t.Metric, t.Group, t.Expression, null, false, NoData));
                continue;
            }
            results.Add(actual is { } a
                ? new ThresholdResult(t.Metric, t.Group, t.Expression, a, expr.IsSatisfiedBy(a), null)
                : new ThresholdResult(t.Metric, t.Group, t.Expression, null, false, NoData));
        }
        return results;
    }

    private static double? ZeroWhenNothingCounted(string metric, Aggregation aggregation)
    {
        if (!MetricNames.All.TryGetValue(metric, out var kind))
            return null;
        return (kind, aggregation) switch
        {
            (MetricKind.Counter, Aggregation.Count or Aggregation.Value) => 0,
            (MetricKind.Trend, Aggregation.Count) => 0,
            _ => null,
        };
    }
}
