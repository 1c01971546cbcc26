using SimCluster.Grains.Clients;

namespace SimCluster.Tests.Grains;

[Trait("Category", "Unit")]
public sealed class ClientSeedTests
{
    [Theory]
    [InlineData(7L, 0, ClientSeed.Schedule, -37938455)]
    [InlineData(7L, 1, ClientSeed.Schedule, 1898897632)]
    [InlineData(7L, 0, ClientSeed.Link, -492228337)]
    [InlineData(42L, 999, ClientSeed.Schedule, 732799153)]
    public void Seeds_are_the_same_in_every_process(long runSeed, int client, int stream, int expected) =>
        // Fixed numbers: a per-process salted hash (HashCode.Combine) would differ on every silo and every run.
        Assert.Equal(expected, ClientSeed.For(runSeed, client, stream));

    [Fact]
    public void Clients_streams_and_runs_get_different_seeds()
    {
        Assert.Equal(10_000, Enumerable.Range(0, 10_000).Select(i => ClientSeed.For(7, i, ClientSeed.Schedule)).Distinct().Count());
        Assert.NotEqual(ClientSeed.For(7, 3, ClientSeed.Schedule), ClientSeed.For(7, 3, ClientSeed.Link));
        Assert.NotEqual(ClientSeed.For(7, 3, ClientSeed.Schedule), ClientSeed.For(8, 3, ClientSeed.Schedule));
    }
}
