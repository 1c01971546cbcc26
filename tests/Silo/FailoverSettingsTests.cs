using SimCluster.Silo;

namespace SimCluster.Tests.Silo;

/// <summary>
/// The settings that decide how soon a lost silo's clients run again and how long a stopping silo may drain:
/// Orleans' directory lease derived from --dead-silo-hold, its bounds, and the drain inside the shutdown timeout.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FailoverSettingsTests
{
    [Fact]
    public void No_hold_turns_the_directory_lease_off()
    {
        Assert.Equal(TimeSpan.Zero, new SiloOptions().DeadSiloHold);
        Assert.Equal(TimeSpan.Zero, new SiloOptions().DirectoryRangeLease);
    }

    [Theory]
    // Orleans starts the lease at the estimated failure: the declaration minus the largest probe timeout
    // (four probe timeouts) times the missed probes. The hold is what is left after the declaration.
    [InlineData(1_000, 2, 5_000, 13_000)]
    [InlineData(5_000, 3, 30_000, 90_000)]
    [InlineData(500, 1, 1_000, 3_000)]
    public void A_hold_is_counted_from_the_declaration(int probeMs, int missed, int holdMs, int leaseMs)
    {
        var options = new SiloOptions { ProbeTimeout = TimeSpan.FromMilliseconds(probeMs), MissedProbes = missed, DeadSiloHold = TimeSpan.FromMilliseconds(holdMs) };
        Assert.Equal(TimeSpan.FromMilliseconds(leaseMs), options.DirectoryRangeLease);
    }

    [Fact]
    public void A_hold_beyond_five_minutes_is_refused_by_name()
    {
        var errors = new SiloOptions { DeadSiloHold = TimeSpan.FromMinutes(6) }.Validate();
        Assert.Contains(errors, e => e.StartsWith("--dead-silo-hold:", StringComparison.Ordinal));
        Assert.DoesNotContain(new SiloOptions { DeadSiloHold = TimeSpan.FromMinutes(5) }.Validate(), e => e.Contains("--dead-silo-hold", StringComparison.Ordinal));
    }

    [Fact]
    public void A_drain_fits_inside_the_silo_shutdown_with_room_for_orleans_own_stop()
    {
        // The coordinator's side of a drain (the clients' stop grace and margin) fits in the silo's patience,
        // and that in the host's shutdown timeout, which Kubernetes' grace outlasts (ManifestContractTests).
        var plan = new SimCluster.Abstractions.Plans.RunPlan { RunId = "r", ScenarioName = "s", Seed = 1, TargetUrls = [], Clients = 1, Duration = TimeSpan.FromSeconds(1), Groups = [] };
        Assert.True(plan.StopGrace + SimCluster.Grains.Runs.SiloDrainHandler.DrainMargin < SimCluster.Grains.Runs.SiloDrain.Patience);
        // The coordinator's own silo: after its longest drain, room for the driver to take the final checkpoint and
        // for the answer to reach the silo before its patience runs out.
        Assert.True(plan.StopGrace + SimCluster.Grains.Runs.SiloDrainHandler.DrainMargin + SimCluster.Grains.Runs.CoordinatorHandover.FetchWindow
                    + SimCluster.Grains.Runs.CoordinatorHandover.Margin <= SimCluster.Grains.Runs.SiloDrain.Patience);
        Assert.True(SimCluster.Grains.Runs.SiloDrain.Patience + TimeSpan.FromSeconds(5) <= SiloOptions.ShutdownTimeout);
    }
}
