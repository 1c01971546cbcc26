using SimCluster.Tests.Support;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Malformed;

/// <summary>After the whole catalogue, the reference target has released every connection and still serves.</summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ReferenceTargetSurvivalTests(ReferenceTargetPeer reference) : IClassFixture<ReferenceTargetPeer>
{
    [Fact]
    public async Task The_reference_target_survives_every_case_and_leaks_no_connection()
    {
        var runs = await Task.WhenAll(CaseCatalogue.AnyServer.Select(c => CaseHarness.RunAsync(reference.Uri, c.Id)));
        Assert.All(runs, r => Assert.True(r.Grade.Verdict == Verdict.Ok, CaseHarness.Describe(r.Run.Case.Id, r.Grade)));
        await Eventually.TrueAsync(() => reference.Target.GetStats().OpenConnections == 0, "every case connection released by the target");
        var probe = await ServerProbe.CheckAsync(CaseHarness.Context(reference.Uri).Connect, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.True(probe.Accepted, probe.Detail);
    }
}
