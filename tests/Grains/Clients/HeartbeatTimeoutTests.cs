using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Grains.Protocols;
using SimCluster.Grains.Metrics;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Clients;

/// <summary><c>heartbeat.timeout</c> and <c>heartbeat.appLevel</c> on fake time, the test playing the server.</summary>
[Trait("Category", "Unit")]
public sealed class HeartbeatTimeoutTests
{
    private static (FakeTimeProvider Time, GroupRecorder Metrics, RecordingConnection Connection, SessionProtocol Session) Session()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var metrics = new GroupRecorder("g");
        var session = new SessionProtocol("s", new MessagePlan { Interval = TimeSpan.Zero }, metrics, time, new Random(1));
        var connection = new RecordingConnection();
        session.Attach(connection);
        session.OnText("""{"type":"welcome","session":"s","resumed":false,"lastSeq":0}""");
        connection.Take();
        return (time, metrics, connection, session);
    }

    [Fact]
    public void App_level_pings_are_session_frames_timed_by_their_pong()
    {
        var (time, metrics, connection, session) = Session();
        var timedOut = 0;
        using var pinger = HeartbeatPinger.ForProtocol(session, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), metrics, time, () => timedOut++);

        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            var ping = Assert.Single(connection.Take());
            Assert.StartsWith("{\"type\":\"ping\",\"ts\":", ping);
            time.Advance(TimeSpan.FromMilliseconds(30));
            session.OnText(ping.Replace("\"ping\"", "\"pong\"")); // the server hands ts back
        }

        var rtt = HistogramCodec.Decode(metrics.TakeSnapshot().Trends[MetricNames.HeartbeatRtt]);
        Assert.Equal(5, rtt.TotalCount);
        Assert.InRange(rtt.GetValueAtPercentile(50), 29_000, 31_000);
        Assert.Equal(0, timedOut);
    }

    [Fact]
    public void A_server_that_stops_answering_pings_times_out_once_after_the_timeout()
    {
        var (time, metrics, connection, session) = Session();
        var timedOut = 0;
        using var pinger = HeartbeatPinger.ForProtocol(session, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), metrics, time, () => timedOut++);

        time.Advance(TimeSpan.FromSeconds(1)); // first PING, never answered
        time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Equal(0, timedOut);
        time.Advance(TimeSpan.FromMilliseconds(200)); // 3 s after the first unanswered PING
        Assert.Equal(1, timedOut);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, timedOut);
        Assert.True(connection.Take().Count >= 4);
    }

    [Fact]
    public async Task A_drain_sends_no_more_pings_and_records_the_answer_to_the_one_in_flight()
    {
        var (time, metrics, connection, session) = Session();
        var timedOut = 0;
        using var pinger = HeartbeatPinger.ForProtocol(session, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), metrics, time, () => timedOut++);
        time.Advance(TimeSpan.FromSeconds(1));
        var ping = Assert.Single(connection.Take()); // the server has it, and will count it

        var drain = pinger.DrainAsync(TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(3.5)); // past the heartbeat timeout: a drain never times the server out
        Assert.False(drain.IsCompleted);
        Assert.Empty(connection.Take());
        session.OnText(ping.Replace("\"ping\"", "\"pong\""));
        await drain.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, HistogramCodec.Decode(metrics.TakeSnapshot().Trends[MetricNames.HeartbeatRtt]).TotalCount);
        Assert.Equal(0, timedOut);
    }

    [Fact]
    public void A_drain_with_no_ping_in_flight_ends_at_once()
    {
        var (time, metrics, connection, session) = Session();
        using var pinger = HeartbeatPinger.ForProtocol(session, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), metrics, time, () => { });
        time.Advance(TimeSpan.FromSeconds(1));
        session.OnText(Assert.Single(connection.Take()).Replace("\"ping\"", "\"pong\""));
        Assert.True(pinger.DrainAsync(TimeSpan.FromSeconds(5)).IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(connection.Take());
    }

    [Fact]
    public void Without_a_timeout_unanswered_pings_never_end_the_connection()
    {
        var (time, metrics, _, session) = Session();
        var timedOut = 0;
        using var pinger = HeartbeatPinger.ForProtocol(session, TimeSpan.FromSeconds(1), TimeSpan.Zero, metrics, time, () => timedOut++);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, timedOut);
    }

    [Fact]
    public void A_restore_is_attempted_once_per_loss_and_counted_restored_only_when_it_opened()
    {
        var machine = new ClientStateMachine(new FakeTimeProvider());
        Assert.False(machine.Fire(ClientTrigger.Connect).RestoreAttempt); // the first connect restores nothing
        machine.Fire(ClientTrigger.Opened);
        machine.Fire(ClientTrigger.Lost);
        machine.Fire(ClientTrigger.Wait);
        Assert.True(machine.Fire(ClientTrigger.Connect).RestoreAttempt);
        machine.Fire(ClientTrigger.ConnectFailed);
        machine.Fire(ClientTrigger.Wait);
        Assert.False(machine.Fire(ClientTrigger.Connect).RestoreAttempt); // the same loss, a second attempt
        Assert.NotNull(machine.Fire(ClientTrigger.Opened).ReconnectTime);
    }
}

[Trait("Category", "Unit")]
public sealed class SessionIdTests
{
    [Fact]
    public void A_client_re_activated_on_another_silo_opens_a_new_session_and_keeps_its_own_across_reconnects()
    {
        var first = ClientGrain.SessionIdFor("run1", 17, "S127.0.0.1:11111:123456");
        Assert.Equal(first, ClientGrain.SessionIdFor("run1", 17, "S127.0.0.1:11111:123456"));
        Assert.NotEqual(first, ClientGrain.SessionIdFor("run1", 17, "S127.0.0.1:11112:123999"));
        Assert.StartsWith("run1-17-", first);
    }
}
