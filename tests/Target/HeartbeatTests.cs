using System.Net.WebSockets;
using SimCluster.Target;
using static SimCluster.Tests.Target.TargetTestClient;

namespace SimCluster.Tests.Target;

public sealed class HeartbeatTests
{
    [Fact]
    public async Task Client_that_stops_reading_is_aborted_by_the_heartbeat_timeout()
    {
        await using var target = await StartAsync(new TargetOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(400),
        });

        // Keep-alive zero: no unsolicited PONGs. Never calling ReceiveAsync: no answers to the server's PINGs.
        using var zombie = await ConnectAsync(target, keepAlive: TimeSpan.Zero);

        // .NET checks the heartbeat at most once a second, so the abort lands after about 1-2 s.
        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 0);
        Assert.Equal(0, stats.OpenConnections);
        Assert.Equal(1, stats.Closes.ServerInitiated.OrZero("abort:heartbeat"));
        Assert.Equal(1, stats.Closes.Aborted);
        Assert.Empty(stats.Closes.ByCode);
    }

    [Fact]
    public async Task Client_that_keeps_reading_survives_the_heartbeat()
    {
        await using var target = await StartAsync(new TargetOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(400),
        });

        using var healthy = await ConnectAsync(target, keepAlive: TimeSpan.Zero);

        // A pending receive answers the server's PINGs; nothing else arrives, so the read times out client-side.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2.5));
        var read = healthy.ReceiveAsync(new byte[16], cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        var stats = target.GetStats();
        Assert.Equal(0, stats.Closes.ServerInitiated.OrZero("abort:heartbeat"));
    }
}
