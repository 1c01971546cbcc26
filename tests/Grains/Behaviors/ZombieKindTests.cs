using SimCluster.Abstractions.Plans;
using System.Collections.Concurrent;
using SimCluster.Grains.Behaviors.Zombies;
using SimCluster.Scenarios;
using SimCluster.Target;
using SimCluster.Transport;

namespace SimCluster.Tests.Grains.Behaviors;

/// <summary>
/// Each zombie kind's effect on a real socket, against the reference target with a fast heartbeat
/// (PING every 200 ms, give up 600 ms after an unanswered one).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ZombieKindTests : IAsyncLifetime
{
    private ReferenceTarget _target = null!;

    public async Task InitializeAsync() =>
        _target = await ReferenceTarget.StartAsync(new TargetOptions
        {
            Port = 0,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(600),
        });

    public async Task DisposeAsync() => await _target.DisposeAsync();

    private sealed class Listener : IConnectionListener
    {
        public ConcurrentQueue<string> Texts { get; } = new();
        public TaskCompletionSource<ConnectionClosed> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void OnText(string text) => Texts.Enqueue(text);
        public void OnClosed(ConnectionClosed closed) => Closed.TrySetResult(closed);
    }

    private Task<SimulatedConnection> Open(Listener listener, long? slowRead = null) =>
        SimulatedConnection.OpenAsync(new ConnectOptions
        {
            Target = _target.WebSocketUri,
            WatchFrames = true,
            SlowReadBytesPerSecond = slowRead,
            Driver = ClientDriver.Lean,
        }, listener);

    [Fact]
    public void Every_kind_in_the_scenario_vocabulary_has_an_implementation()
    {
        Assert.Equal(ScenarioVocabulary.Default.ZombieKinds.OrderBy(k => k), ZombieKinds.Names.OrderBy(k => k));
    }

    [Theory]
    [InlineData("silent-app")]
    [InlineData("blackhole")]
    public async Task A_zombie_that_answers_no_ping_is_cut_off_by_the_heartbeat_and_the_client_sees_it_on_the_raw_socket(string kind)
    {
        var listener = new Listener();
        using var connection = await Open(listener);
        await Task.Delay(500); // healthy through a few PINGs first
        Assert.False(connection.Stream.PeerGone.IsCompleted);

        ZombieKinds.Get(kind).Apply(connection);
        var gone = await connection.Stream.PeerGone.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(gone > 0);
        Assert.False(listener.Closed.Task.IsCompleted, "a zombie's application must hear nothing");
        await Eventually(() => _target.GetStats().Closes.ServerInitiated.GetValueOrDefault("abort:heartbeat") >= 1);
    }

    [Fact]
    public async Task An_app_dead_zombie_still_answers_pings_so_a_transport_heartbeat_never_cuts_it_off()
    {
        var listener = new Listener();
        using var connection = await Open(listener);
        ZombieKinds.Get("app-dead").Apply(connection);
        await Task.Delay(2500); // more than four heartbeat timeouts
        Assert.False(connection.Stream.PeerGone.IsCompleted);
        Assert.False(listener.Closed.Task.IsCompleted);
        Assert.Equal(0, _target.GetStats().Closes.ServerInitiated.GetValueOrDefault("abort:heartbeat"));
    }

    [Fact]
    public async Task A_half_closed_zombie_sends_fin_and_the_server_gives_up_on_it()
    {
        var listener = new Listener();
        using var connection = await Open(listener);
        ZombieKinds.Get("half-close").Apply(connection);
        var ended = await Task.WhenAny(connection.Stream.PeerGone, listener.Closed.Task).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(ended.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_reset_zombie_is_known_to_the_server_at_once()
    {
        var listener = new Listener();
        using var connection = await Open(listener);
        var before = _target.GetStats().Closes.Aborted;
        ZombieKinds.Get("reset").Apply(connection);
        await Eventually(() => _target.GetStats().Closes.Aborted > before);
    }

    [Fact]
    public async Task A_slow_reader_takes_its_messages_at_the_configured_rate()
    {
        var listener = new Listener();
        using var connection = await Open(listener, slowRead: 2000);
        ZombieKinds.Get("slow-reader").Apply(connection);
        var started = DateTime.UtcNow;
        Assert.True(connection.Send(new string('x', 3000))); // echoed back: 3,000 bytes at 2,000 bytes/s
        await Eventually(() => !listener.Texts.IsEmpty, TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.2), $"read too fast: {DateTime.UtcNow - started}");
    }

    private static async Task Eventually(Func<bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
