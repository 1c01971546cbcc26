using SimCluster.Transport.Malformed;
using Xunit.Abstractions;

namespace SimCluster.Tests.Malformed;

[Collection(Support.IntegrationCollection.Name)]
public sealed class VerdictTableTests(ReferenceTargetPeer reference, NodeWsPeer ws, LaxPeer lax, ITestOutputHelper output)
    : IClassFixture<ReferenceTargetPeer>, IClassFixture<NodeWsPeer>, IClassFixture<LaxPeer>
{
    [Theory]
    [InlineData("reference")]
    [InlineData("ws")]
    [InlineData("lax")]
    public async Task Table(string server)
    {
        var uri = server switch { "reference" => reference.Uri, "ws" => ws.Uri, _ => lax.Uri };
        var rows = await Task.WhenAll(CaseCatalogue.All.Select(async c =>
        {
            var (_, grade) = await CaseHarness.RunAsync(uri, c.Id);
            return CaseHarness.Describe(c.Id, grade);
        }));
        foreach (var row in rows) output.WriteLine(row);
    }
}
