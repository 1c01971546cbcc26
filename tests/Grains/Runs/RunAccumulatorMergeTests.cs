using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Runs;

namespace SimCluster.Tests.Grains.Runs;

/// <summary>
/// The cross-silo merge of counters, close codes and disconnect causes: per group, each silo's latest cumulative
/// snapshot counted once, silos added, a group present on only some silos, repeated and skipped answers.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RunAccumulatorMergeTests
{
    private static RunPlan Plan() => RunAccumulatorTests.Plan() with
    {
        Groups =
        [
            new GroupPlan { Name = "steady", Behavior = "steady", FirstClient = 0, Clients = 10 },
            new GroupPlan { Name = "flappers", Behavior = "flapping", FirstClient = 10, Clients = 10 },
        ],
    };

    private sealed class Silo(string name)
    {
        public GroupRecorder Steady { get; } = new("steady");
        public GroupRecorder Flappers { get; } = new("flappers");

        public SiloSnapshot Snapshot(bool withFlappers = true) => new()
        {
            Silo = name,
            Groups = withFlappers ? [Steady.TakeSnapshot(), Flappers.TakeSnapshot()] : [Steady.TakeSnapshot()],
        };
    }

    private static void Drop(GroupRecorder recorder, string how)
    {
        recorder.Count(MetricNames.ForcedDrops);
        recorder.Count(MetricNames.Disconnects);
        recorder.CountCause("forced", how);
    }

    [Fact]
    public void Counters_close_codes_and_causes_are_summed_over_silos_per_group_and_for_the_run()
    {
        var a = new Silo("a");
        var b = new Silo("b");
        var accumulator = new RunAccumulator(Plan());
        for (var second = 1; second <= 4; second++)
        {
            a.Steady.Count(MetricNames.MessagesSent, 10);
            b.Steady.Count(MetricNames.MessagesSent, 7);
            Drop(a.Flappers, "reset");
            Drop(b.Flappers, second % 2 == 0 ? "close" : "blackhole");
            b.Flappers.CountClose("1000");
            accumulator.Add([a.Snapshot(), b.Snapshot()], second);
        }

        var results = accumulator.Results().ToDictionary(g => g.Name);
        Assert.Equal(68, results["steady"].Counters[MetricNames.MessagesSent]);
        Assert.Equal(0, results["steady"].Counters[MetricNames.ForcedDrops]);
        Assert.Equal(8, results["flappers"].Counters[MetricNames.ForcedDrops]);
        Assert.Equal(new Dictionary<string, long> { ["forced:reset"] = 4, ["forced:close"] = 2, ["forced:blackhole"] = 2 }, results["flappers"].Causes);
        Assert.Equal(new Dictionary<string, long> { ["1000"] = 4 }, results["flappers"].CloseCodes);
        Assert.Empty(results["steady"].Causes);

        var totals = accumulator.Current;
        Assert.Equal(8, totals.ForcedDrops);
        Assert.Equal(8, totals.Disconnects);
    }

    [Fact]
    public void A_silo_answering_again_with_nothing_new_adds_nothing_and_a_skipped_round_is_made_up_by_the_next()
    {
        var a = new Silo("a");
        var b = new Silo("b");
        var accumulator = new RunAccumulator(Plan());
        a.Steady.Count(MetricNames.Connects, 5);
        b.Steady.Count(MetricNames.Connects, 5);
        accumulator.Add([a.Snapshot(), b.Snapshot()], 1);
        accumulator.Add([a.Snapshot(), b.Snapshot()], 2); // same cumulative counts again
        Assert.Equal(10, accumulator.Current.Connects);

        b.Steady.Count(MetricNames.Connects, 3);
        accumulator.Add([a.Snapshot()], 3);               // b's reply missed this round
        Assert.Equal(10, accumulator.Current.Connects);
        b.Steady.Count(MetricNames.Connects, 2);
        accumulator.Add([a.Snapshot(), b.Snapshot()], 4); // b's latest carries both increments
        Assert.Equal(15, accumulator.Current.Connects);
        Assert.Equal(15, accumulator.Results().Single(g => g.Name == "steady").Counters[MetricNames.Connects]);

        // The per-second connects add up to the total, whichever round carried them.
        Assert.Equal(15, accumulator.Timeline.Sum(p => p.Connects));
    }

    [Fact]
    public void A_group_that_runs_on_only_some_silos_is_merged_from_those_and_a_group_on_none_is_still_reported()
    {
        var a = new Silo("a");
        var b = new Silo("b");
        var accumulator = new RunAccumulator(Plan());
        Drop(a.Flappers, "reset");
        a.Steady.Count(MetricNames.MessagesSent, 2);
        b.Steady.Count(MetricNames.MessagesSent, 3);
        accumulator.Add([a.Snapshot(), b.Snapshot(withFlappers: false)], 1);

        var results = accumulator.Results().ToDictionary(g => g.Name);
        Assert.Equal(1, results["flappers"].Counters[MetricNames.ForcedDrops]);
        Assert.Equal(5, results["steady"].Counters[MetricNames.MessagesSent]);
        Assert.Equal(10, results["flappers"].Clients);

        var empty = new RunAccumulator(Plan());
        Assert.Equal(["steady", "flappers"], empty.Results().Select(g => g.Name));
        Assert.All(empty.Results(), g => Assert.All(g.Counters.Values, v => Assert.Equal(0, v)));
    }
}
