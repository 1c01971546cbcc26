using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Tests.Grains.Clients;

namespace SimCluster.Tests.Grains.Behaviors;

/// <summary>An attacker runs its own case cycle instead of the connect/drop cycle, and stops with the client.</summary>
[Trait("Category", "Unit")]
public sealed class MalformedBehaviorTests
{
    [Fact]
    public async Task An_attacker_never_opens_a_client_connection_and_its_run_stops_with_the_client()
    {
        var h = new ClientHarness(ClientHarness.Group("malformed") with { Malformed = new MalformedPlan { Cases = ["F01"] } },
            p => p with { RampUp = TimeSpan.FromMinutes(1) }).Started();
        h.Advance(TimeSpan.FromSeconds(1)); // still inside the attacker's start delay: it connects nothing yet
        Assert.Empty(h.Opener.Asked);
        Assert.Equal(ClientState.Idle, h.Client.State);

        await h.Client.StopAsync();
        h.Run();
        Assert.Empty(h.Opener.Asked);
        Assert.Empty(h.Log);
    }
}
