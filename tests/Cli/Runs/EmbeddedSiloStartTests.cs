using System.Net;
using System.Net.Sockets;
using SimCluster.Cli.Runs;

namespace SimCluster.Tests.Cli.Runs;

/// <summary>
/// The embedded silo's ports are chosen free and bound a moment later; another process may take one in between.
/// Here the first ports handed out are held by a listener of the test's own, as such a process would hold them.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EmbeddedSiloStartTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_port_taken_before_the_silo_binds_it_is_given_up_for_fresh_ones_and_the_silo_starts()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var handedOut = new List<int>();
        int Port()
        {
            var port = handedOut.Count == 0 ? taken : ClusterConnection.FreeLoopbackPort();
            handedOut.Add(port);
            return port;
        }

        await using var connection = await ClusterConnection.StartEmbeddedAsync(Bound, CancellationToken.None, Port);

        Assert.Equal(4, handedOut.Count); // two for the attempt that found its port taken, two for the one that started
        Assert.Equal(taken, handedOut[0]);
        Assert.DoesNotContain(taken, handedOut.Skip(1));
    }

    [Fact]
    public async Task Ports_taken_at_every_attempt_end_in_a_clear_error_after_the_last_attempt()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var asked = 0;
        int Port() => ++asked % 2 == 1 ? taken : ClusterConnection.FreeLoopbackPort();

        var error = await Assert.ThrowsAsync<ClusterUnreachableException>(() => ClusterConnection.StartEmbeddedAsync(Bound, CancellationToken.None, Port));

        Assert.Equal(2 * ClusterConnection.EmbeddedStartAttempts, asked);
        Assert.StartsWith("could not start the embedded silo", error.Message, StringComparison.Ordinal);
    }
}
