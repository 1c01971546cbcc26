using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

[Trait("Category", "Unit")]
public class ThresholdEvaluatorTests
{
    /// <summary>Values keyed by "metric|group|aggregation|percentile".</summary>
    private sealed class FakeSource(Dictionary<string, double> values) : IMetricSource
    {
        public bool TryGet(string metric, string? group, Aggregation aggregation, double? percentile, out double value) =>
            values.TryGetValue($"{metric}|{group}|{aggregation}|{percentile}", out value);
    }

    [Fact]
    public void Evaluates_the_contract_thresholds()
    {
        var thresholds = Valid(ContractExample).Thresholds;
        var source = new FakeSource(new()
        {
            ["connect_failures||Count|"] = 0,
            ["reconnect_time||Percentile|95"] = 612.5,
            ["messages_lost||Count|"] = 0,
        });

        var results = ThresholdEvaluator.Evaluate(thresholds, source);

        Assert.Equal(
        [
            new ThresholdResult("connect_failures", null, "count==0", 0, true, null),
            new ThresholdResult("reconnect_time", null, "p(95)<500", 612.5, false, null),
            new ThresholdResult("messages_lost", null, "count==0", 0, true, null),
        ], results);
    }

    [Fact]
    public void Missing_data_fails_except_for_counts_which_are_zero()
    {
        var thresholds = Valid(Minimal + """

            population:
              - { name: a, share: 50% }
              - { name: b, share: 50%, behavior: zombie, zombie: { kind: silent-app } }
            thresholds:
              messages_lost: ["count==0", "value<1", "rate<1"]
              reconnect_time: ["p(95)<500", "count==0"]
              zombie_detect_time{group:b}: ["max<30000"]
              connect_success_ratio: ["value>0.99"]
            """).Thresholds;

        var results = ThresholdEvaluator.Evaluate(thresholds, new FakeSource([]));

        Assert.Equal(
        [
            new ThresholdResult("messages_lost", null, "count==0", 0, true, null),
            new ThresholdResult("messages_lost", null, "value<1", 0, true, null),
            new ThresholdResult("messages_lost", null, "rate<1", null, false, "no data"),
            new ThresholdResult("reconnect_time", null, "p(95)<500", null, false, "no data"),
            new ThresholdResult("reconnect_time", null, "count==0", 0, true, null),
            new ThresholdResult("zombie_detect_time", "b", "max<30000", null, false, "no data"),
            new ThresholdResult("connect_success_ratio", null, "value>0.99", null, false, "no data"),
        ], results);
    }

    [Fact]
    public void Group_thresholds_ask_the_source_for_the_group()
    {
        var thresholds = Valid(ContractExample, "thresholds.reconnect_time{group:flappers}=[\"p(99)<800\"]").Thresholds;
        var source = new FakeSource(new()
        {
            ["reconnect_time|flappers|Percentile|99"] = 750,
            ["connect_failures||Count|"] = 2,
        });

        var results = ThresholdEvaluator.Evaluate(thresholds, source);

        Assert.Contains(new ThresholdResult("reconnect_time", "flappers", "p(99)<800", 750, true, null), results);
        Assert.Contains(new ThresholdResult("connect_failures", null, "count==0", 2, false, null), results);
    }
}
