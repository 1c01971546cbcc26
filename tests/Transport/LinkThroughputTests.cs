using System.Diagnostics;
using SimCluster.Tests.Support;
using SimCluster.Transport;
using SimCluster.Transport.Faults;

namespace SimCluster.Tests.Transport;

/// <summary>A bandwidth-limited link measured on a real socket: the throughput cap holds within 10 %.</summary>
[Trait("Category", "Integration")]
public sealed class LinkThroughputTests
{
    [Theory]
    [InlineData(Direction.Up)]
    [InlineData(Direction.Down)]
    public async Task A_2_mbps_link_carries_500_kilobytes_in_about_two_seconds(Direction direction)
    {
        const long bitsPerSecond = 2_000_000;
        const int bytes = 500_000;
        using var pair = await SocketPair.ConnectAsync();
        var time = TimeProvider.System;
        IStreamFault[] limit = [new BandwidthFault(bitsPerSecond, time)];
        using var stream = new FaultStream(pair.Client, direction == Direction.Up ? limit : [], direction == Direction.Down ? limit : [], time);
        var payload = new byte[bytes];
        Random.Shared.NextBytes(payload);

        var clock = Stopwatch.StartNew();
        if (direction == Direction.Up)
        {
            var receive = pair.ServerReceiveExactlyAsync(bytes, TimeSpan.FromSeconds(20));
            for (var i = 0; i < bytes; i += 10_000) await stream.WriteAsync(payload.AsMemory(i, 10_000));
            Assert.Equal(payload, await receive);
        }
        else
        {
            var send = pair.Server.SendAsync(payload, System.Net.Sockets.SocketFlags.None);
            var received = new byte[bytes];
            var filled = 0;
            while (filled < bytes) filled += await stream.ReadAsync(received.AsMemory(filled));
            await send;
            Assert.Equal(payload, received);
        }
        var expected = bytes * 8.0 / bitsPerSecond; // 2.0 s
        Assert.InRange(clock.Elapsed.TotalSeconds, expected * 0.9, expected * 1.1);
    }
}
