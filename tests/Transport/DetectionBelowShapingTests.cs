using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using SimCluster.Tests.Support;
using SimCluster.Transport;
using SimCluster.Transport.Faults;

namespace SimCluster.Tests.Transport;

/// <summary>
/// What the server does (a Close frame, FIN, RST) is seen by <see cref="FaultStream.PeerGone"/> the moment it
/// reaches the socket, whatever the link profile, a blackhole or a slow reader do to its delivery. The fake
/// clock never moves unless a test moves it, so "the same instant" is exact and nothing shaped is delivered.
/// Over <c>wss://</c> too: TLS runs inside the fault stream, below the shaping, so a Close frame is decrypted and
/// seen on arrival as over <c>ws://</c> (the handshake itself is shaped: the tests move the clock through it).
/// </summary>
[Trait("Category", "Integration")]
public sealed class DetectionBelowShapingTests
{
    public enum App { Listening, Frozen, Blackholed }

    public enum Ending { CloseFrame, Fin, Rst }

    public enum Scheme { Ws, Wss }

    private static readonly Lazy<X509Certificate2> Certificate = new(SimCluster.Tests.Hostile.HostileServer.SelfSignedCertificate);

    /// <summary>The client's fault stream and the server's side of the connection (TLS over the server socket for wss).</summary>
    private sealed class Link(FaultStream client, Stream server) : IAsyncDisposable
    {
        public FaultStream Client { get; } = client;

        public Task SendAsync(byte[] bytes) => server.WriteAsync(bytes).AsTask();

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await server.DisposeAsync();
        }
    }

    private static async Task<Link> ConnectAsync(SocketPair pair, string profile, FakeTimeProvider time, Scheme scheme)
    {
        var stream = Open(pair, profile, time, scan: false);
        Stream server = new NetworkStream(pair.Server, ownsSocket: false);
        if (scheme == Scheme.Wss)
        {
            var tls = new SslStream(server, leaveInnerStreamOpen: false);
            var accepted = tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate.Value });
            var handshake = stream.StartTlsAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == Certificate.Value.GetCertHashString(),
            }, CancellationToken.None);
            // The handshake's records are shaped like any bytes: the fake clock is moved until it is through.
            await Eventually.TrueAsync(() =>
            {
                time.Advance(TimeSpan.FromMilliseconds(50));
                return handshake.IsCompleted && accepted.IsCompleted;
            }, $"the TLS handshake on {profile}");
            await handshake;
            await accepted;
            server = tls;
        }
        stream.StartScanning(default);
        return new Link(stream, server);
    }

    private static FaultStream Open(SocketPair pair, string profile, TimeProvider time, long? slowReadBytesPerSecond = null, bool scan = true)
    {
        var random = new Random(7);
        var link = LinkProfiles.All[profile];
        var down = FaultRegistry.ForLink(link, Direction.Down, random, time);
        if (slowReadBytesPerSecond is { } rate) down.Add(new SlowReadFault(rate, time));
        var stream = new FaultStream(pair.Client, FaultRegistry.ForLink(link, Direction.Up, random, time), down, time, watchFrames: true);
        if (scan) stream.StartScanning(default);
        return stream;
    }

    private static byte[] TextFrame(string text) => [0x81, (byte)text.Length, .. System.Text.Encoding.ASCII.GetBytes(text)];

    private static byte[] CloseFrame(int code) => [0x88, 0x02, (byte)(code >> 8), (byte)code];

    private static async Task ServerSendAsync(SocketPair pair, byte[] bytes)
    {
        await using var network = new NetworkStream(pair.Server, ownsSocket: false);
        await network.WriteAsync(bytes);
    }

    private static void Apply(FaultStream stream, App app)
    {
        if (app == App.Frozen) stream.FrozenReads.Activate();
        if (app == App.Blackholed) stream.Blackhole();
    }

    [Theory]
    [InlineData("loopback", App.Listening, Scheme.Ws)]
    [InlineData("loopback", App.Frozen, Scheme.Ws)]
    [InlineData("loopback", App.Blackholed, Scheme.Ws)]
    [InlineData("satellite", App.Listening, Scheme.Ws)]
    [InlineData("satellite", App.Frozen, Scheme.Ws)]
    [InlineData("satellite", App.Blackholed, Scheme.Ws)]
    [InlineData("edge", App.Listening, Scheme.Ws)]
    [InlineData("edge", App.Frozen, Scheme.Ws)]
    [InlineData("edge", App.Blackholed, Scheme.Ws)]
    [InlineData("loopback", App.Listening, Scheme.Wss)]
    [InlineData("loopback", App.Blackholed, Scheme.Wss)]
    [InlineData("satellite", App.Listening, Scheme.Wss)]
    [InlineData("satellite", App.Frozen, Scheme.Wss)]
    [InlineData("satellite", App.Blackholed, Scheme.Wss)]
    [InlineData("edge", App.Listening, Scheme.Wss)]
    [InlineData("edge", App.Blackholed, Scheme.Wss)]
    public async Task A_servers_close_frame_is_seen_at_the_instant_it_arrives_on_every_link(string profile, App app, Scheme scheme)
    {
        var time = new FakeTimeProvider();
        using var pair = await SocketPair.ConnectAsync();
        await using var link = await ConnectAsync(pair, profile, time, scheme);
        var stream = link.Client;
        var read = stream.ReadAsync(new byte[64]).AsTask();
        Apply(stream, app);
        var arrival = time.GetTimestamp();

        await link.SendAsync([.. TextFrame("last words"), .. CloseFrame(4000)]);

        Assert.Equal(arrival, await Eventually.Within(stream.PeerGone, $"the Close frame seen on {profile} over {scheme}"));
        Assert.Equal(4000, stream.PeerCloseCode);
        if (profile != "loopback" || app != App.Listening)
        {
            // Shaped or blocked: the application has been handed nothing yet, and the detection did not wait for it.
            Assert.False(read.IsCompleted);
            Assert.Equal(0, stream.BytesRead);
        }
    }

    [Theory]
    [InlineData("loopback", Ending.CloseFrame, Scheme.Ws)]
    [InlineData("loopback", Ending.Fin, Scheme.Ws)]
    [InlineData("loopback", Ending.Rst, Scheme.Ws)]
    [InlineData("satellite", Ending.CloseFrame, Scheme.Ws)]
    [InlineData("satellite", Ending.Fin, Scheme.Ws)]
    [InlineData("satellite", Ending.Rst, Scheme.Ws)]
    [InlineData("satellite", Ending.CloseFrame, Scheme.Wss)]
    [InlineData("satellite", Ending.Fin, Scheme.Wss)]
    [InlineData("satellite", Ending.Rst, Scheme.Wss)]
    public async Task Under_a_blackhole_the_servers_close_FIN_or_RST_is_still_seen(string profile, Ending ending, Scheme scheme)
    {
        var time = new FakeTimeProvider();
        using var pair = await SocketPair.ConnectAsync();
        await using var link = await ConnectAsync(pair, profile, time, scheme);
        var stream = link.Client;
        await link.SendAsync(TextFrame("before")); // in flight when the cable is pulled
        stream.Blackhole();
        var read = stream.ReadAsync(new byte[64]).AsTask(); // the WebSocket's receive loop always has one pending
        var arrival = time.GetTimestamp();

        switch (ending)
        {
            case Ending.CloseFrame:
                await link.SendAsync(CloseFrame(1001));
                break;
            case Ending.Fin:
                pair.Server.Shutdown(SocketShutdown.Send);
                break;
            case Ending.Rst:
                pair.Server.LingerState = new LingerOption(true, 0);
                pair.Server.Close();
                break;
        }

        Assert.Equal(arrival, await Eventually.Within(stream.PeerGone, $"the server's {ending} under a blackhole"));
        Assert.Equal(ending == Ending.CloseFrame ? 1001 : null, stream.PeerCloseCode);
        Assert.False(read.IsCompleted, "a blackholed application hears nothing");
        Assert.Equal(0, stream.BytesRead);
    }

    /// <summary>
    /// Only an RST can overtake unread bytes: a FIN queues behind them in the server's send buffer, as on any
    /// TCP connection whose reader stopped opening its window.
    /// </summary>
    [Fact]
    public async Task A_slow_reader_sees_the_servers_RST_behind_queued_bytes_at_once()
    {
        var time = new FakeTimeProvider();
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Open(pair, "loopback", time, slowReadBytesPerSecond: 1);
        Assert.True(stream.StartSlowReading());
        var read = stream.ReadAsync(new byte[64]).AsTask();

        // Far more than the stream queues: the rest waits unread in the socket, as a slow reader's would.
        const int total = 3 * FaultStream.MaxQueuedDownBytes;
        var frame = new byte[total];
        frame[0] = 0x82;
        frame[1] = 127;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(2), total - 10);
        await ServerSendAsync(pair, frame);
        await Eventually.TrueAsync(() => stream.DownPaused, "the stream's queue full and the rest waiting in the socket");

        var resetAt = time.GetTimestamp();
        pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close();

        // While its queue is full the stream checks the socket's state every FullQueueWatchInterval of its clock.
        await Eventually.TrueAsync(() =>
        {
            time.Advance(FaultStream.FullQueueWatchInterval);
            return stream.PeerGone.IsCompleted;
        }, "PeerGone with the queue still full");

        var seenAfter = time.GetElapsedTime(resetAt, await stream.PeerGone);
        Assert.InRange(seenAfter, TimeSpan.Zero, TimeSpan.FromMinutes(1)); // reading the queue at 1 B/s takes 3 days
        Assert.Equal(0, stream.BytesRead);
        Assert.False(read.IsCompleted);
    }

    [Fact]
    public async Task An_oversized_frame_on_a_shaped_link_is_refused_on_arrival()
    {
        var time = new FakeTimeProvider();
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Open(pair, "satellite", time);
        var read = stream.ReadAsync(new byte[64]).AsTask();

        byte[] header = [0x82, 127, 0x7F, 0, 0, 0, 0, 0, 0, 0];
        await ServerSendAsync(pair, header);

        await Assert.ThrowsAsync<MessageTooBigException>(() => Eventually.Within(read, "the refusal"));
        Assert.Equal(0, stream.BytesRead);
    }
}
