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

        // PING after 200 ms idle, abort 400 ms later (checked every 50 ms): well under the 10 s patience.
        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 0);
        Assert.Equal(0, stats.OpenConnections);
        Assert.Equal(1, stats.Closes.ServerInitiated.OrZero("abort:heartbeat"));
        Assert.Equal(1, stats.Closes.Aborted);
        Assert.Empty(stats.Closes.ByCode);
    }

    [Fact]
    public async Task Client_that_keeps_reading_survives_the_heartbeat()
    {
        // Many PINGs (every 100 ms idle) but a timeout loose enough for a cold, busy test process:
        // a pending ReceiveAsync answers each PING, so the connection must stay up.
        await using var target = await StartAsync(new TargetOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            HeartbeatTimeout = TimeSpan.FromSeconds(3),
        });

        var healthy = await ConnectAsync(target, keepAlive: TimeSpan.Zero);
        var read = ReceiveAsync(healthy, TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        var stats = target.GetStats();
        Assert.Equal(0, stats.Closes.ServerInitiated.OrZero("abort:heartbeat"));
        healthy.Dispose();
    }
}
