using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Runs;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Grains.Runs;

/// <summary>The coordinator's merge of silo snapshots, fed by real recorders: what a late or lost reply does to the numbers.</summary>
[Trait("Category", "Unit")]
public sealed class RunAccumulatorTests
{
    internal static RunPlan Plan() => new()
    {
        RunId = "acc-1",
        ScenarioName = "accumulator",
        Seed = 1,
        TargetUrls = ["ws://127.0.0.1:1/ws"],
        Clients = 20,
        Duration = TimeSpan.FromSeconds(10),
        Messages = new MessagePlan { Interval = TimeSpan.FromSeconds(1), Size = 16, LossTimeout = TimeSpan.FromSeconds(2) },
        Reconnect = new ReconnectPlan { Policy = "fixed", Base = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(1), Jitter = JitterKind.None },
        Groups = [new GroupPlan { Name = "steady", Behavior = "steady", FirstClient = 0, Clients = 20 }],
    };

    private static SiloSnapshot Snapshot(string silo, GroupRecorder recorder) => new() { Silo = silo, Groups = [recorder.TakeSnapshot()] };

    [Fact]
    public void A_reply_that_misses_its_collection_loses_no_trend_samples_and_the_slow_seconds_stay_in_p99()
    {
        var plan = Plan();
        var fast = new GroupRecorder("steady");
        var slow = new GroupRecorder("steady");
        var all = HistogramCodec.Create();
        void Rtt(GroupRecorder recorder, double ms)
        {
            recorder.Record(MetricNames.MessageRtt, TimeSpan.FromMilliseconds(ms));
            recorder.Count(MetricNames.MessagesReceived);
            all.RecordValue(HistogramCodec.ToMicros(TimeSpan.FromMilliseconds(ms)));
        }

        var accumulator = new RunAccumulator(plan);
        for (var second = 1; second <= 6; second++)
        {
            for (var i = 0; i < 100; i++) Rtt(fast, 5);
            // The slow silo's worst seconds are 3 and 4, and exactly those replies miss their collection.
            for (var i = 0; i < 10; i++) Rtt(slow, second is 3 or 4 ? 900 : 10);
            var round = new List<SiloSnapshot> { Snapshot("fast", fast) };
            var slowSnapshot = Snapshot("slow", slow); // taken by the silo, the reply then arrives too late (3, 4) or in time
            if (second is not (3 or 4)) round.Add(slowSnapshot);
            accumulator.Add(round, second);
        }

        var group = Assert.Single(accumulator.Results());
        var merged = HistogramCodec.Decode(group.Trends[MetricNames.MessageRtt]);
        Assert.Equal(660, merged.TotalCount);
        Assert.Equal(all.GetValueAtPercentile(99), merged.GetValueAtPercentile(99));
        Assert.True(merged.GetValueAtPercentile(99) >= 899_000, $"p99 {merged.GetValueAtPercentile(99)} µs lost the slow seconds");
        Assert.Equal(660, group.Counters[MetricNames.MessagesReceived]);
        // The slow samples appear in the second the late silo answered again.
        Assert.True(accumulator.Timeline.Single(p => p.T == 5).RttP95Ms >= 899, "second 5 should carry the slow silo's late samples");
    }

    [Fact]
    public void Merging_silos_adds_their_latest_cumulative_trends_exactly_once()
    {
        var accumulator = new RunAccumulator(Plan());
        var silos = new[] { new GroupRecorder("steady"), new GroupRecorder("steady"), new GroupRecorder("steady") };
        HistogramBase expected = HistogramCodec.Create();
        var random = new Random(5);
        for (var second = 1; second <= 5; second++)
        {
            foreach (var recorder in silos)
            {
                for (var i = 0; i < 50; i++)
                {
                    var ms = 1 + random.NextDouble() * 300;
                    recorder.Record(MetricNames.ConnectTime, TimeSpan.FromMilliseconds(ms));
                    expected.RecordValue(HistogramCodec.ToMicros(TimeSpan.FromMilliseconds(ms)));
                }
            }
            accumulator.Add(silos.Select((r, i) => Snapshot($"silo{i}", r)), second);
        }
        var merged = HistogramCodec.Decode(Assert.Single(accumulator.Results()).Trends[MetricNames.ConnectTime]);
        Assert.Equal(expected.TotalCount, merged.TotalCount);
        foreach (var p in new[] { 50.0, 90, 99, 100 }) Assert.Equal(expected.GetValueAtPercentile(p), merged.GetValueAtPercentile(p));
    }

    [Fact]
    public void Open_leaves_out_a_lost_silos_last_snapshot_but_its_counts_stay()
    {
        var accumulator = new RunAccumulator(Plan());
        var survivor = new GroupRecorder("steady");
        var doomed = new GroupRecorder("steady");
        for (var i = 0; i < 10; i++) { survivor.Opened(); survivor.Count(MetricNames.Connects); doomed.Opened(); doomed.Count(MetricNames.Connects); }
        Assert.Equal(20, accumulator.Add([Snapshot("a", survivor), Snapshot("b", doomed)], 1).Open);

        // Silo b goes silent; membership declares it dead; its 10 clients re-open on the survivor.
        accumulator.Add([Snapshot("a", survivor)], 2);
        accumulator.MarkLost("b");
        for (var i = 0; i < 10; i++) { survivor.Opened(); survivor.Count(MetricNames.Connects); }
        var totals = accumulator.Add([Snapshot("a", survivor)], 3);

        Assert.Equal(20, totals.Open); // not 30: the lost silo's clients are counted where they run now
        Assert.Equal(20, accumulator.Timeline[^1].Open);
        Assert.Equal(30, totals.Connects);
    }

    [Fact]
    public void The_timelines_per_second_counts_add_up_to_the_totals_whichever_rounds_a_silo_missed()
    {
        var accumulator = new RunAccumulator(Plan());
        var a = new GroupRecorder("steady");
        var b = new GroupRecorder("steady");
        var random = new Random(9);
        for (var second = 1; second <= 12; second++)
        {
            foreach (var recorder in new[] { a, b })
            {
                var n = random.Next(0, 30);
                recorder.Count(MetricNames.MessagesSent, n);
                recorder.Count(MetricNames.MessagesReceived, n - n / 10);
                recorder.Count(MetricNames.MessagesLost, n / 10);
                recorder.Count(MetricNames.Connects, random.Next(0, 3));
            }
            accumulator.Add(second % 4 == 2 ? [Snapshot("a", a)] : [Snapshot("a", a), Snapshot("b", b)], second);
        }
        var counters = Assert.Single(accumulator.Results()).Counters;
        Assert.Equal(counters[MetricNames.MessagesSent], accumulator.Timeline.Sum(p => p.MessagesSent));
        Assert.Equal(counters[MetricNames.MessagesReceived], accumulator.Timeline.Sum(p => p.MessagesReceived));
        Assert.Equal(counters[MetricNames.MessagesLost], accumulator.Timeline.Sum(p => p.MessagesLost));
        Assert.Equal(counters[MetricNames.Connects], accumulator.Timeline.Sum(p => p.Connects));
        Assert.Equal(Enumerable.Range(1, 12), accumulator.Timeline.Select(p => p.T));
    }
}

/// <summary>Planned malformed cases that never produced a verdict are listed and counted.</summary>
[Trait("Category", "Unit")]
public sealed class RunAccumulatorCaseTests
{
    [Fact]
    public void A_planned_case_never_run_or_never_connected_is_listed_ungraded_and_counted_as_not_run()
    {
        var plan = RunAccumulatorTests.Plan() with
        {
            Clients = 3,
            Groups =
            [
                new GroupPlan { Name = "healthy", Behavior = "steady", FirstClient = 0, Clients = 1 },
                new GroupPlan { Name = "attackers", Behavior = "malformed", FirstClient = 1, Clients = 2, Malformed = new MalformedPlan { Cases = ["F01", "F05", "F11"] } },
            ],
        };
        var accumulator = new RunAccumulator(plan);
        CaseTally Tally(string id, string? worst, long unreachable = 0) => new()
        {
            Id = id, Title = id, Expected = "close 1002", Worst = worst, Unreachable = unreachable,
            Verdicts = worst is null ? [] : new() { [worst] = 1 },
        };
        // F01 was graded, F11's every attempt failed to connect, F05 never ran before the end.
        accumulator.Add([new SiloSnapshot { Silo = "s", Groups = [], Cases = [Tally("F01", "OK"), Tally("F11", null, unreachable: 3)] }], 1);

        var cases = accumulator.Malformed(null)!.Cases;
        Assert.Equal(["F01", "F05", "F11"], cases.Select(c => c.Id));
        Assert.Null(cases.Single(c => c.Id == "F05").Worst);
        Assert.Equal(CaseCatalogue.Get("F05").Title, cases.Single(c => c.Id == "F05").Title);
        var results = accumulator.Results();
        Assert.Equal(2, results.Single(g => g.Name == "attackers").Counters[MetricNames.MalformedCasesNotRun]);
        Assert.Equal(0, results.Single(g => g.Name == "healthy").Counters[MetricNames.MalformedCasesNotRun]);
    }
}
