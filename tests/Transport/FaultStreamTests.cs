using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using SimCluster.Tests.Support;
using SimCluster.Transport;
using SimCluster.Transport.Faults;

namespace SimCluster.Tests.Transport;

/// <summary>
/// <see cref="FaultStream"/> over a real loopback TCP connection: bytes pass, delays delay, holes swallow.
/// Timing asserts are lower bounds (a fault never delivers early) with generous upper bounds.
/// </summary>
public sealed class FaultStreamTests
{
    /// <summary>
    /// Stopwatch and the stream share one clock; the stream re-checks it after every timer, so nothing is
    /// released early. The slack only covers the microseconds between reading the stopwatch and writing.
    /// </summary>
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(0.5);

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static byte[] RandomBytes(int count, int seed = 1)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static FaultStream Wrap(SocketPair pair, IStreamFault[]? up = null, IStreamFault[]? down = null) =>
        new(pair.Client, up ?? [], down ?? [], TimeProvider.System);

    private static async Task ServerSendAsync(SocketPair pair, byte[] bytes)
    {
        await using var network = new NetworkStream(pair.Server, ownsSocket: false);
        await network.WriteAsync(bytes);
    }

    [Fact]
    public async Task Unshaped_bytes_pass_both_ways_unchanged()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair);

        var up = RandomBytes(200_000, seed: 1);
        var receiving = pair.ServerReceiveExactlyAsync(up.Length);
        await stream.WriteAsync(up);
        Assert.Equal(up, await receiving);

        var down = RandomBytes(200_000, seed: 2);
        var sending = ServerSendAsync(pair, down);
        Assert.Equal(down, await SocketPair.ReadExactlyAsync(stream, down.Length));
        await sending;

        Assert.Equal(up.Length, stream.BytesWritten);
        Assert.Equal(down.Length, stream.BytesRead);
        Assert.False(stream.PeerGone.IsCompleted);
    }

    [Fact]
    public async Task Upstream_latency_delays_delivery_by_at_least_the_configured_time()
    {
        var latency = TimeSpan.FromMilliseconds(300);
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair, up: [new LatencyFault(latency, TimeProvider.System)]);

        var clock = Stopwatch.StartNew();
        await stream.WriteAsync("hello"u8.ToArray());
        var received = await pair.ServerReceiveExactlyAsync(5);
        var elapsed = clock.Elapsed;

        Assert.Equal("hello"u8.ToArray(), received);
        Assert.True(elapsed >= latency - TimerSlack, $"delivered after {elapsed.TotalMilliseconds} ms, before the {latency.TotalMilliseconds} ms latency");
        Assert.True(elapsed < Generous, $"took {elapsed}");
    }

    [Fact]
    public async Task Downstream_latency_delays_reads_by_at_least_the_configured_time()
    {
        var latency = TimeSpan.FromMilliseconds(300);
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair, down: [new LatencyFault(latency, TimeProvider.System)]);

        var clock = Stopwatch.StartNew();
        await ServerSendAsync(pair, "world"u8.ToArray());
        var received = await SocketPair.ReadExactlyAsync(stream, 5);
        var elapsed = clock.Elapsed;

        Assert.Equal("world"u8.ToArray(), received);
        Assert.True(elapsed >= latency - TimerSlack, $"read after {elapsed.TotalMilliseconds} ms, before the {latency.TotalMilliseconds} ms latency");
        Assert.True(elapsed < Generous, $"took {elapsed}");
    }

    [Fact]
    public async Task Jittered_chunks_still_arrive_in_the_order_they_were_written()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair, up: [new JitterFault(TimeSpan.FromMilliseconds(40), new Random(3), TimeProvider.System)]);

        const int chunks = 200;
        var receiving = pair.ServerReceiveExactlyAsync(chunks * 4);
        for (var i = 0; i < chunks; i++)
        {
            var chunk = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(chunk, i);
            await stream.WriteAsync(chunk);
        }
        var received = await receiving;

        var order = Enumerable.Range(0, chunks).Select(i => BinaryPrimitives.ReadInt32BigEndian(received.AsSpan(i * 4))).ToArray();
        Assert.Equal(Enumerable.Range(0, chunks), order);
    }

    [Fact]
    public async Task Upstream_bandwidth_caps_throughput()
    {
        // 800,000 bit/s = 100,000 bytes per second: 100 kB take about a second.
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair, up: [new BandwidthFault(800_000, TimeProvider.System)]);
        var payload = RandomBytes(100_000);

        var clock = Stopwatch.StartNew();
        var receiving = pair.ServerReceiveExactlyAsync(payload.Length, Generous);
        for (var offset = 0; offset < payload.Length; offset += 10_000) await stream.WriteAsync(payload.AsMemory(offset, 10_000));
        var received = await receiving;
        var elapsed = clock.Elapsed;

        Assert.Equal(payload, received);
        Assert.True(elapsed >= TimeSpan.FromSeconds(1) - TimerSlack, $"100 kB at 100 kB/s arrived in {elapsed.TotalMilliseconds} ms");
        Assert.True(elapsed < Generous, $"took {elapsed}");
    }

    [Fact]
    public async Task Downstream_bandwidth_caps_throughput()
    {
        // 400,000 bit/s = 50,000 bytes per second.
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair, down: [new BandwidthFault(400_000, TimeProvider.System)]);
        var payload = RandomBytes(50_000);

        var clock = Stopwatch.StartNew();
        var sending = ServerSendAsync(pair, payload);
        var received = await SocketPair.ReadExactlyAsync(stream, payload.Length, Generous);
        var elapsed = clock.Elapsed;
        await sending;

        Assert.Equal(payload, received);
        Assert.True(elapsed >= TimeSpan.FromSeconds(1) - TimerSlack, $"50 kB at 50 kB/s were read in {elapsed.TotalMilliseconds} ms");
        Assert.True(elapsed < Generous, $"took {elapsed}");
    }

    [Fact]
    public async Task Blackhole_swallows_writes_and_hides_reads_until_the_stream_is_torn_down()
    {
        using var pair = await SocketPair.ConnectAsync();
        var stream = Wrap(pair);
        var buffer = new byte[64];
        var read = stream.ReadAsync(buffer).AsTask(); // the application is always reading, as a WebSocket is

        stream.Blackhole();
        await stream.WriteAsync("into the void"u8.ToArray());
        await ServerSendAsync(pair, "unheard"u8.ToArray());
        await Task.Delay(500);

        Assert.Equal(0, pair.Server.Available); // nothing left the client
        Assert.False(read.IsCompleted, "a blackholed stream must not hand over what arrives");
        Assert.Equal(0, stream.BytesWritten);
        Assert.Equal(0, stream.BytesRead);

        await stream.DisposeAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Eventually.Within(read, "the hanging read to end on dispose"));
    }

    [Fact]
    public async Task Blackhole_also_holds_writes_already_queued_behind_a_delay()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair, up: [new LatencyFault(TimeSpan.FromMilliseconds(200), TimeProvider.System)]);

        await stream.WriteAsync("queued"u8.ToArray());
        stream.Blackhole();
        await Task.Delay(700);

        Assert.Equal(0, pair.Server.Available);
    }

    [Fact]
    public async Task Blackholed_reads_on_a_shaped_link_are_hidden_too()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair, down: [new LatencyFault(TimeSpan.FromMilliseconds(20), TimeProvider.System)]);
        var read = stream.ReadAsync(new byte[64]).AsTask();

        stream.Blackhole();
        await ServerSendAsync(pair, "unheard"u8.ToArray());
        await Task.Delay(500);

        Assert.False(read.IsCompleted);
        Assert.Equal(0, stream.BytesRead);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frozen_reads_still_notice_when_the_peer_gives_up(bool peerResets)
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair);
        var read = stream.ReadAsync(new byte[64]).AsTask();

        stream.FrozenReads.Activate();
        await ServerSendAsync(pair, "ping?"u8.ToArray());
        await stream.WriteAsync("still sending"u8.ToArray()); // freezing reads leaves the way up open
        Assert.Equal("still sending"u8.ToArray(), await pair.ServerReceiveExactlyAsync(13));
        await Task.Delay(200);
        Assert.False(stream.PeerGone.IsCompleted);

        var before = TimeProvider.System.GetTimestamp();
        if (peerResets) pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close();
        var goneAt = await Eventually.Within(stream.PeerGone, "PeerGone after the peer closed");

        Assert.InRange(goneAt, before, TimeProvider.System.GetTimestamp());
        Assert.False(read.IsCompleted, "a frozen application still sees nothing, not even the end");
        Assert.Equal(0, stream.BytesRead);
    }

    [Fact]
    public async Task An_unfrozen_stream_reports_the_peers_close_as_end_of_stream()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair);

        pair.Server.Shutdown(SocketShutdown.Send);

        Assert.Equal(0, await Eventually.Within(stream.ReadAsync(new byte[16]).AsTask(), "end of stream"));
        await Eventually.Within(stream.PeerGone, "PeerGone");
    }

    [Fact]
    public async Task A_shaped_stream_delivers_what_arrived_then_end_of_stream()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair, down: [new LatencyFault(TimeSpan.FromMilliseconds(50), TimeProvider.System)]);

        await ServerSendAsync(pair, "last words"u8.ToArray());
        pair.Server.Shutdown(SocketShutdown.Send);

        Assert.Equal("last words"u8.ToArray(), await SocketPair.ReadExactlyAsync(stream, 10));
        Assert.Equal(0, await Eventually.Within(stream.ReadAsync(new byte[16]).AsTask(), "end of stream"));
        await Eventually.Within(stream.PeerGone, "PeerGone");
    }

    [Fact]
    public async Task Reset_sends_the_peer_an_RST()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair);

        stream.Reset();

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var cts = new CancellationTokenSource(Eventually.Patience);
            await pair.Server.ReceiveAsync(new byte[16], SocketFlags.None, cts.Token);
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.True(stream.PeerGone.IsCanceled, "we ended it: the peer did not give up");
        await Assert.ThrowsAsync<IOException>(async () => await stream.WriteAsync("too late"u8.ToArray()));
    }
}
