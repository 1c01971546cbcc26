using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Runs;
using SimCluster.Tests.Cli.Runs;

namespace SimCluster.Tests.Grains.Runs;

/// <summary>
/// The parts of a coordinator failover on their own: a checkpoint keeps the merged numbers, the roster and the
/// clock; a take-over's books (who survives, what each holds, which clients run nowhere); and the merge after it,
/// exact for the survivors (their cumulative snapshots) with the lost silo's numbers as of the checkpoint.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CoordinatorFailoverTests
{
    private static readonly SiloAddress[] Addresses =
        [.. Enumerable.Range(0, 3).Select(i => SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 11111 + i), 1))];

    private static string Name(int i) => Addresses[i].ToParsableString();

    private static RunPlan Plan() => RunAccumulatorTests.Plan() with { Clients = 9, Groups = [new GroupPlan { Name = "steady", Behavior = "steady", FirstClient = 0, Clients = 9 }] };

    private static IGrainFactory Grains() => RunDriverTests.FakeGrainFactory.For(new FailoverDriverTests.TakingOverCoordinator(), new RunDriverTests.FakeCluster(3));

    private static RunRoster Roster(RunPlan plan) => RunRoster.Spread(plan, Addresses, Grains());

    private static SiloHolding Holding(int silo, int[] clients, GroupRecorder recorder) =>
        new() { Clients = clients, Snapshot = new SiloSnapshot { Silo = Name(silo), Groups = [recorder.TakeSnapshot()] } };

    private static Dictionary<SiloAddress, SiloStatus> Statuses(params SiloStatus[] statuses) =>
        Addresses.Select((a, i) => (a, statuses[i])).ToDictionary(x => x.a, x => x.Item2);

    [Fact]
    public void The_coordinators_silo_gone_is_lost_with_its_share_and_every_one_of_its_clients_is_an_orphan()
    {
        var roster = Roster(Plan());
        var recorder = new GroupRecorder("steady");
        var (answered, lost) = TakeoverBooks.Settle(roster, Statuses(SiloStatus.Dead, SiloStatus.Active, SiloStatus.Active),
            new Dictionary<string, SiloHolding?> { [Name(1)] = Holding(1, [1, 4, 7], recorder), [Name(2)] = Holding(2, [2, 5, 8], recorder) });

        Assert.Equal([Name(1), Name(2)], answered.Select(a => a.Silo.Name));
        var gone = Assert.Single(lost);
        Assert.Equal(Name(0), gone.Silo.Name);
        Assert.Equal([0, 3, 6], gone.Clients);
        Assert.Equal([0, 3, 6], gone.Orphans);
        Assert.Equal([1, 4, 7], roster[Name(1)].Share);
    }

    [Fact]
    public void Clients_a_survivor_took_over_after_the_checkpoint_join_its_share_are_counted_adopted_and_are_no_orphans()
    {
        var roster = Roster(Plan());
        var recorder = new GroupRecorder("steady");
        // Silo 0 was lost after the checkpoint and the old coordinator had started moving its clients 0 and 3 to silo 1.
        var (_, lost) = TakeoverBooks.Settle(roster, Statuses(SiloStatus.Dead, SiloStatus.Active, SiloStatus.Active),
            new Dictionary<string, SiloHolding?> { [Name(1)] = Holding(1, [0, 1, 3, 4, 7], recorder), [Name(2)] = Holding(2, [2, 5, 8], recorder) });

        Assert.Equal([1, 4, 7, 0, 3], roster[Name(1)].Share);
        Assert.Equal(2, roster[Name(1)].Adopted);
        Assert.Equal([6], Assert.Single(lost).Orphans);
        Assert.Equal(3, lost[0].Clients.Length);
    }

    [Fact]
    public void A_silo_active_but_silent_on_the_take_over_is_left_to_the_collections_not_lost()
    {
        var roster = Roster(Plan());
        var recorder = new GroupRecorder("steady");
        var (answered, lost) = TakeoverBooks.Settle(roster, Statuses(SiloStatus.Dead, SiloStatus.Active, SiloStatus.Active),
            new Dictionary<string, SiloHolding?> { [Name(1)] = Holding(1, [1, 4, 7], recorder), [Name(2)] = null });

        Assert.Single(answered);
        Assert.Equal(Name(0), Assert.Single(lost).Silo.Name);
        Assert.True(roster[Name(2)].Unanswering);
        Assert.False(roster[Name(2)].IsLost);
    }

    [Fact]
    public void A_silo_shutting_down_counts_as_gone_and_one_missing_from_membership_too()
    {
        var roster = Roster(Plan());
        var statuses = Statuses(SiloStatus.ShuttingDown, SiloStatus.Active, SiloStatus.Active);
        statuses.Remove(Addresses[2]);
        var (answered, lost) = TakeoverBooks.Settle(roster, statuses, new Dictionary<string, SiloHolding?> { [Name(1)] = Holding(1, [1, 4, 7], new GroupRecorder("steady")) });

        Assert.Single(answered);
        Assert.Equal([Name(0), Name(2)], lost.Select(l => l.Silo.Name));
    }

    [Fact]
    public void A_checkpoint_keeps_the_merged_numbers_the_roster_and_the_clock_and_the_merge_after_it_is_exact_for_the_survivors()
    {
        var plan = Plan();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var clock = new RunClock(time);
        clock.Requested();
        clock.FixStart();
        var roster = Roster(plan);
        var accumulator = new RunAccumulator(plan);
        var silos = Enumerable.Range(0, 3).Select(_ => new GroupRecorder("steady")).ToArray();
        for (var second = 1; second <= 4; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            for (var s = 0; s < 3; s++) silos[s].Count(MetricNames.MessagesSent, 10 * (s + 1));
            var snapshots = silos.Select((r, s) => new SiloSnapshot { Silo = Name(s), Groups = [r.TakeSnapshot()] }).ToList();
            clock.CollectedAtUtc = clock.Now;
            foreach (var (silo, s) in roster.All.Select((x, s) => (x, s)))
            {
                silo.LastCollectedAtSecond = second;
                silo.Pace.Observe(snapshots[s], second);
            }
            accumulator.Add(snapshots, second);
        }
        var checkpoint = RunCheckpoints.Take(RunPhase.Running, clock, accumulator, roster, Name(0), ["a note"], null, [], null, plan.Clients, afterSecond: 2);
        Assert.Equal([3, 4], checkpoint.Timeline.Select(p => p.T));
        checkpoint = checkpoint with { Timeline = [.. accumulator.Timeline] }; // the driver joins the parts it was sent

        // The old coordinator's silo goes; its clients counted nothing more that anyone reported. The survivors kept on.
        time.Advance(TimeSpan.FromSeconds(3));
        silos[1].Count(MetricNames.MessagesSent, 60);
        silos[2].Count(MetricNames.MessagesSent, 90);

        var restoredClock = new RunClock(time);
        restoredClock.Resume(checkpoint.RequestedAtUtc, checkpoint.StartsAtUtc, checkpoint.ActiveEndedAtUtc, checkpoint.CollectedAtUtc);
        Assert.Equal(clock.StartsAtUtc, restoredClock.StartsAtUtc);
        Assert.Equal(7 - RunClock.StartLead.TotalSeconds, restoredClock.SecondsOfRun, 3); // the same clock, carried on
        var restoredRoster = RunRoster.Restore(plan, checkpoint.Silos, Grains());
        Assert.Equal(roster.All.Select(s => (s.Name, s.Slice, s.ArmedClients, string.Join(",", s.Share))),
            restoredRoster.All.Select(s => (s.Name, s.Slice, s.ArmedClients, string.Join(",", s.Share))));
        Assert.Equal(roster.All[0].Pace.AtMost(2, 3), restoredRoster.All[0].Pace.AtMost(2, 3));
        var restored = RunCheckpoints.Accumulator(plan, checkpoint);
        Assert.Equal(accumulator.Current, restored.Current);
        Assert.Equal(4 * (10 + 20 + 30), restored.Current.MessagesSent);

        restored.Add([new SiloSnapshot { Silo = Name(1), Groups = [silos[1].TakeSnapshot()] }, new SiloSnapshot { Silo = Name(2), Groups = [silos[2].TakeSnapshot()] }], 7);
        restored.MarkLost(Name(0));
        // Silo 0 as of the checkpoint (4 x 10), the survivors exactly (4 x 20 + 60, 4 x 30 + 90).
        Assert.Equal(40 + 140 + 210, restored.Current.MessagesSent);
        Assert.Equal(40 + 140 + 210, restored.Results().Single().Counters[MetricNames.MessagesSent]);
        // The timeline goes on: the point after the take-over holds everything since the checkpoint.
        Assert.Equal([1, 2, 3, 4, 7], restored.Timeline.Select(p => p.T));
        Assert.Equal(150, restored.Timeline[^1].MessagesSent);
        Assert.Equal(restored.Current.MessagesSent, restored.Timeline.Sum(p => p.MessagesSent));
    }
}
