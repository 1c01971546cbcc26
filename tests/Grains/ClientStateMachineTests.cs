using Microsoft.Extensions.Time.Testing;
using SimCluster.Grains.Clients;
using static SimCluster.Grains.Clients.ClientState;
using static SimCluster.Grains.Clients.ClientTrigger;

namespace SimCluster.Tests.Grains;

[Trait("Category", "Unit")]
public sealed class ClientStateMachineTests
{
    /// <summary>The transition table as the client grain relies on it; everything not listed is illegal.</summary>
    private static readonly Dictionary<(ClientState, ClientTrigger), ClientState> Legal = new()
    {
        [(Idle, Connect)] = Connecting,
        [(Connecting, Opened)] = Open,
        [(Connecting, ConnectFailed)] = Dropped,
        [(Open, Lost)] = Dropped,
        [(Open, Drop)] = Dropped,
        [(Dropped, Wait)] = WaitingToReconnect,
        [(Dropped, GiveUp)] = Failed,
        [(WaitingToReconnect, Connect)] = Connecting,
        [(Idle, Stop)] = Closed,
        [(Connecting, Stop)] = Closing,
        [(Open, Stop)] = Closing,
        [(Dropped, Stop)] = Closed,
        [(WaitingToReconnect, Stop)] = Closed,
        [(Failed, Stop)] = Failed,
        [(Closing, Stopped)] = Closed,
        [(Closing, Opened)] = Closing,
        [(Closing, ConnectFailed)] = Closing,
        [(Closing, Lost)] = Closing,
    };

    /// <summary>A way to reach each state from Idle.</summary>
    private static readonly Dictionary<ClientState, ClientTrigger[]> PathTo = new()
    {
        [Idle] = [],
        [Connecting] = [Connect],
        [Open] = [Connect, Opened],
        [Dropped] = [Connect, ConnectFailed],
        [WaitingToReconnect] = [Connect, ConnectFailed, Wait],
        [Closing] = [Connect, Stop],
        [Closed] = [ClientTrigger.Stop],
        [Failed] = [Connect, ConnectFailed, GiveUp],
    };

    public static TheoryData<ClientState, ClientTrigger> EveryStateAndTrigger()
    {
        var data = new TheoryData<ClientState, ClientTrigger>();
        foreach (var state in Enum.GetValues<ClientState>())
        {
            foreach (var trigger in Enum.GetValues<ClientTrigger>()) data.Add(state, trigger);
        }
        return data;
    }

    private static ClientStateMachine MachineIn(ClientState state, TimeProvider? time = null)
    {
        var machine = new ClientStateMachine(time ?? new FakeTimeProvider());
        foreach (var trigger in PathTo[state]) machine.Fire(trigger);
        Assert.Equal(state, machine.State);
        return machine;
    }

    [Theory]
    [MemberData(nameof(EveryStateAndTrigger))]
    public void Every_trigger_in_every_state_follows_the_table(ClientState state, ClientTrigger trigger)
    {
        var machine = MachineIn(state);

        if (Legal.TryGetValue((state, trigger), out var expected))
        {
            Assert.True(machine.CanFire(trigger));
            var transition = machine.Fire(trigger);
            Assert.Equal(state, transition.From);
            Assert.Equal(expected, transition.To);
            Assert.Equal(trigger, transition.Trigger);
            Assert.Equal(expected, machine.State);
        }
        else
        {
            Assert.False(machine.CanFire(trigger));
            var error = Assert.Throws<InvalidOperationException>(() => machine.Fire(trigger));
            Assert.Contains(trigger.ToString(), error.Message);
            Assert.Contains(state.ToString(), error.Message);
            Assert.Equal(state, machine.State); // an illegal trigger changes nothing
        }
    }

    [Fact]
    public void Starts_idle_and_only_closed_and_failed_are_terminal()
    {
        Assert.Equal(Idle, new ClientStateMachine(TimeProvider.System).State);
        foreach (var state in Enum.GetValues<ClientState>())
        {
            Assert.Equal(state is Closed or Failed, MachineIn(state).IsTerminal);
        }
    }

    [Fact]
    public void Reconnect_time_runs_from_the_loss_to_the_next_open_connection_across_failed_attempts()
    {
        var time = new FakeTimeProvider();
        var machine = new ClientStateMachine(time);

        machine.Fire(Connect);
        time.Advance(TimeSpan.FromMilliseconds(30));
        var first = machine.Fire(Opened);
        Assert.Null(first.ReconnectTime); // the first connection is not a reconnect

        time.Advance(TimeSpan.FromSeconds(5));
        var lost = machine.Fire(Lost);
        Assert.Equal(time.GetTimestamp(), lost.At);

        time.Advance(TimeSpan.FromMilliseconds(100));
        machine.Fire(Wait);
        machine.Fire(Connect);
        time.Advance(TimeSpan.FromMilliseconds(200));
        machine.Fire(ConnectFailed);
        machine.Fire(Wait);
        time.Advance(TimeSpan.FromMilliseconds(150));
        machine.Fire(Connect);
        time.Advance(TimeSpan.FromMilliseconds(50));
        var reopened = machine.Fire(Opened);

        Assert.Equal(TimeSpan.FromMilliseconds(500), reopened.ReconnectTime);
    }

    [Fact]
    public void A_deliberate_drop_also_starts_the_reconnect_clock_and_each_loss_is_measured_once()
    {
        var time = new FakeTimeProvider();
        var machine = MachineIn(Open, time);

        machine.Fire(Drop);
        time.Advance(TimeSpan.FromSeconds(2));
        machine.Fire(Wait);
        machine.Fire(Connect);
        time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(TimeSpan.FromMilliseconds(2250), machine.Fire(Opened).ReconnectTime);

        // The next loss is measured from its own moment, not from the first one.
        time.Advance(TimeSpan.FromSeconds(10));
        machine.Fire(Lost);
        time.Advance(TimeSpan.FromMilliseconds(40));
        machine.Fire(Wait);
        machine.Fire(Connect);
        Assert.Equal(TimeSpan.FromMilliseconds(40), machine.Fire(Opened).ReconnectTime);
    }

    [Fact]
    public void A_connection_that_opens_after_stop_was_asked_for_is_not_a_reconnect()
    {
        var time = new FakeTimeProvider();
        var machine = MachineIn(Open, time);
        machine.Fire(Lost);
        machine.Fire(Wait);
        machine.Fire(Connect);
        machine.Fire(ClientTrigger.Stop);
        time.Advance(TimeSpan.FromSeconds(1));

        var late = machine.Fire(Opened);

        Assert.Equal(Closing, late.To);
        Assert.Null(late.ReconnectTime);
        machine.Fire(Stopped);
        Assert.Equal(Closed, machine.State);
    }

    [Fact]
    public void Attempt_counts_connects_since_the_last_open_connection()
    {
        var machine = new ClientStateMachine(new FakeTimeProvider());
        Assert.Equal(0, machine.Attempt);

        machine.Fire(Connect);
        Assert.Equal(1, machine.Attempt);
        machine.Fire(ConnectFailed);
        Assert.Equal(1, machine.Attempt); // failing does not count again; the next Connect does
        machine.Fire(Wait);
        machine.Fire(Connect);
        Assert.Equal(2, machine.Attempt);
        machine.Fire(ConnectFailed);
        machine.Fire(Wait);
        machine.Fire(Connect);
        Assert.Equal(3, machine.Attempt);

        machine.Fire(Opened);
        Assert.Equal(0, machine.Attempt); // reset by an open connection

        machine.Fire(Lost);
        Assert.Equal(0, machine.Attempt);
        machine.Fire(Wait);
        machine.Fire(Connect);
        Assert.Equal(1, machine.Attempt); // a fresh count after the loss
    }

    [Fact]
    public void Giving_up_ends_in_failed_which_stop_leaves_alone()
    {
        var machine = MachineIn(Dropped);
        Assert.Equal(Failed, machine.Fire(GiveUp).To);
        Assert.True(machine.IsTerminal);
        Assert.Equal(Failed, machine.Fire(ClientTrigger.Stop).To);
        Assert.Throws<InvalidOperationException>(() => machine.Fire(Connect));
    }
}
