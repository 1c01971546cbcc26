using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Protocols.SignalR;

namespace SimCluster.Tests.Grains.Clients;

/// <summary>The connect block as the client runtime applies it: on every attempt, numbered, before anything builds on the URL.</summary>
[Trait("Category", "Unit")]
public sealed class ConnectBlockRuntimeTests
{
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);

    private static ConnectPlan Plan => new()
    {
        SubProtocols = ["chat.v1"],
        Headers = [new ConnectParameterPlan { Name = "X-Attempt", Value = ConnectValuePlan.Literal("{client}/{seq}") }],
        Query = [new ConnectParameterPlan { Name = "attempt", Value = ConnectValuePlan.Literal("{seq}") }],
    };

    [Fact]
    public void Every_attempt_carries_the_block_with_its_own_number()
    {
        var h = new ClientHarness(ClientHarness.Group("steady"), p => p with { Connect = Plan }).Started();
        h.Refuse();
        h.Advance(Backoff);
        h.Refuse();
        h.Advance(Backoff);
        h.Accept();

        Assert.Equal(3, h.Opener.Asked.Count);
        Assert.Equal(["?attempt=1", "?attempt=2", "?attempt=3"], h.Opener.Asked.Select(o => o.Target.Query));
        Assert.Equal(["0/1", "0/2", "0/3"], h.Opener.Asked.Select(o => o.Headers.Single(x => x.Key == "X-Attempt").Value));
        Assert.All(h.Opener.Asked, o => Assert.True(o.RequireSubProtocol && o.SubProtocols.SequenceEqual(["chat.v1"])));
        // Armed options stay as they were: the block is per attempt, not baked into the client.
        Assert.Empty(h.Client.ArmedOptions.Headers);
        Assert.Equal("", h.Client.ArmedOptions.Target.Query);
    }

    [Fact]
    public void A_signalr_negotiate_starts_from_the_url_the_block_made()
    {
        var h = new ClientHarness(ClientHarness.Group("steady"), p => p with { Connect = Plan with { Query = [new ConnectParameterPlan { Name = "tenant", Value = ConnectValuePlan.Literal("t{client}") }] } }).Started();
        var negotiate = SignalRNegotiation.NegotiateUri(h.Opener.Asked.Single().Target, statefulReconnect: true);
        Assert.Equal("?tenant=t0&negotiateVersion=1&useStatefulReconnect=true", negotiate.Query);
    }
}
