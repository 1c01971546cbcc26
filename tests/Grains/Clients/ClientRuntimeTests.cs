using SimCluster.Abstractions.Metrics;
using SimCluster.Grains.Clients;
using SimCluster.Grains.Protocols;

namespace SimCluster.Tests.Grains.Clients;

/// <summary>The client runtime on fake time with fake connections: what it counts, in which order it acts, and the turn rule.</summary>
[Trait("Category", "Unit")]
public sealed class ClientRuntimeTests
{
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void A_socket_outcome_changes_nothing_until_it_runs_as_a_turn_of_the_client()
    {
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        Assert.Equal(ClientState.Connecting, h.Client.State);

        h.Opener.Accept(); // the connect completed on "another thread": only posted so far
        Assert.Equal(ClientState.Connecting, h.Client.State);
        Assert.Equal(0, h.Count(MetricNames.Connects));

        h.Run();
        Assert.Equal(ClientState.Open, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.Connects));
        Assert.Equal(1, h.Metrics.Open);
    }

    [Fact]
    public void A_server_close_is_one_disconnect_a_false_one_for_a_steady_client_and_the_client_reconnects_after_its_backoff()
    {
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        var first = h.Accept();
        Assert.Equal(["connect", "attach c1"], h.TakeLog());

        first.ServerCloses(1001);
        h.Run();
        Assert.Equal(ClientState.WaitingToReconnect, h.Client.State);
        Assert.Equal(["detach"], h.TakeLog());
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
        Assert.Equal(1, h.Count(MetricNames.FalseDisconnects));
        Assert.Equal(0, h.Count(MetricNames.ForcedDrops));
        Assert.Equal(1, h.Closes["1001"]);
        Assert.Equal(1, h.Causes["server:close-1001"]);
        Assert.Equal(0, h.Metrics.Open);

        h.Advance(Backoff - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, h.Opener.InFlight);
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, h.Opener.InFlight);
        h.Accept();
        Assert.Equal(2, h.Count(MetricNames.Connects));
        Assert.Equal(1, h.Count(MetricNames.Reconnects));
        Assert.Equal(1, h.Metrics.Open);
    }

    [Fact]
    public void A_connection_lost_without_a_close_frame_counts_1006_and_its_cause()
    {
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        h.Accept().ServerCloses(null);
        h.Run();
        Assert.Equal(1, h.Closes["1006"]);
        Assert.Equal(1, h.Causes["server:reset"]);
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
    }

    [Fact]
    public void A_refused_connect_counts_a_failure_with_its_label_and_retries()
    {
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        h.Refuse();
        Assert.Equal(ClientState.WaitingToReconnect, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.ConnectFailures));
        Assert.Equal(1, h.Closes["connect-error:refused"]);
        Assert.Equal(1, h.Causes["connect:refused"]);
        Assert.Equal(0, h.Count(MetricNames.Disconnects));

        h.Advance(Backoff);
        h.Accept();
        Assert.Equal(ClientState.Open, h.Client.State);
        Assert.Equal(0, h.Count(MetricNames.Reconnects)); // never lost an open connection
    }

    [Fact]
    public void The_stop_drains_then_closes_the_open_connection_and_settles_the_books_once()
    {
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        h.Accept();
        h.TakeLog();

        var stopped = h.Client.StopAsync();
        h.Run();
        Assert.True(stopped.IsCompletedSuccessfully);
        Assert.Equal(["drain", "detach", "c1 close 1000 run finished", "finish"], h.TakeLog());
        Assert.Equal(ClientState.Closed, h.Client.State);
        Assert.Equal(0, h.Metrics.Open);
        Assert.Equal(0, h.Count(MetricNames.Disconnects));
        Assert.Equal(["connecting", "open", "stopping", "closed"], h.Timeline);
    }

    [Fact]
    public void A_connect_in_flight_at_the_stop_is_waited_for_counted_as_the_server_counts_it_then_closed()
    {
        // The server counts the upgrade whether or not the run has ended, so the client waits for it (within the
        // stop grace) and counts it too, without reconnecting after it.
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        var stopped = h.Client.StopAsync();
        h.Run();
        Assert.False(stopped.IsCompleted);
        h.Accept();
        h.Run();
        Assert.True(stopped.IsCompletedSuccessfully);
        Assert.Equal(1, h.Count(MetricNames.Connects));
        Assert.Contains("c1 close 1000 run finished", h.Log);
        Assert.Equal(ClientState.Closed, h.Client.State);
        Assert.Equal(0, h.Metrics.Open);
        Assert.Equal(0, h.Opener.InFlight);
    }

    [Fact]
    public void A_connect_that_completes_after_the_stop_grace_is_disposed_not_opened()
    {
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        var stopped = h.Client.StopAsync();
        h.Run();
        h.Advance(TimeSpan.FromSeconds(6)); // past the 5 s stop grace
        h.Run();
        Assert.True(stopped.IsCompletedSuccessfully);
        h.Accept();
        h.Run();
        Assert.Contains("c1 dispose", h.Log);
        Assert.DoesNotContain("attach c1", h.Log);
        Assert.Equal(0, h.Count(MetricNames.Connects));
        Assert.Equal(0, h.Metrics.Open);
    }

    [Fact]
    public void A_connection_lost_before_its_open_was_processed_is_lost_right_after_it()
    {
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        var connection = h.Opener.Accept();
        connection.ServerCloses(1011); // both outcomes queued: the open first, then the close
        h.Run();
        Assert.Equal(ClientState.WaitingToReconnect, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.Connects));
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
        Assert.Equal(0, h.Metrics.Open);
    }

    [Fact]
    public void A_reconnect_policy_that_runs_out_leaves_the_client_failed()
    {
        var h = new ClientHarness(ClientHarness.Group("steady"), p => p with { Reconnect = p.Reconnect with { MaxAttempts = 2 } }).Started();
        h.Refuse();
        h.Advance(Backoff);
        h.Refuse();
        Assert.Equal(ClientState.Failed, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.ReconnectGiveUps));
        Assert.Equal(2, h.Count(MetricNames.ConnectFailures));
        h.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, h.Opener.InFlight);
    }

    [Fact]
    public void A_protocol_handshake_the_server_refuses_is_one_connect_failure_not_also_a_connect_and_a_disconnect()
    {
        var h = new ClientHarness(ClientHarness.Group("steady"));
        h.Traffic.ReadyOnAttach = false;
        h.Started();
        h.Accept();
        Assert.Equal(0, h.Count(MetricNames.Connects)); // the upgrade is through, the protocol's handshake not yet
        h.Traffic.Fail(new ProtocolFailure("connect:signalr-handshake", ClosedByServer: false, Handshake: true));
        h.Run();
        Assert.Equal(0, h.Count(MetricNames.Connects));
        Assert.Equal(1, h.Count(MetricNames.ConnectFailures));
        Assert.Equal(0, h.Count(MetricNames.Disconnects));
        Assert.Equal(1, h.Metrics.TakeSnapshot().Causes["connect:signalr-handshake"]);
        Assert.Equal(ClientState.WaitingToReconnect, h.Client.State);

        // The next attempt's handshake is answered: one connect, and a later loss is a disconnect as ever.
        h.Advance(Backoff);
        h.Accept();
        h.Traffic.Handshaken();
        h.Run();
        Assert.Equal(1, h.Count(MetricNames.Connects));
        h.Traffic.Fail(new ProtocolFailure("server:hub-close-reconnect", ClosedByServer: true));
        h.Run();
        Assert.Equal(1, h.Count(MetricNames.Connects));
        Assert.Equal(1, h.Count(MetricNames.ConnectFailures));
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
        Assert.Equal(ClientState.WaitingToReconnect, h.Client.State);
    }

    [Fact]
    public void A_server_close_that_forbids_a_reconnect_stops_the_client_as_the_dotnet_signalr_client_does()
    {
        var h = new ClientHarness(ClientHarness.Group("steady")).Started();
        h.Accept();
        h.Traffic.Fail(new ProtocolFailure("server:hub-close-error", ClosedByServer: true, AllowReconnect: false));
        h.Run();
        Assert.Equal(ClientState.Failed, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.SignalrReconnectsForbidden));
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
        h.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, h.Opener.InFlight);
        Assert.Equal(1, h.Count(MetricNames.Connects));
    }
}
