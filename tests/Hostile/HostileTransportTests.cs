using SimCluster.Abstractions.Plans;
using SimCluster.Transport;

using SimCluster.Tests.Support;

namespace SimCluster.Tests.Hostile;

/// <summary>
/// Issue 10, below the grains: one simulated connection per hostile server and driver, classified the way
/// the report counts it (connect error label or disconnect cause), each bounded in time.
/// </summary>
public sealed class HostileTransportTests
{
    private sealed class Listener : IConnectionListener
    {
        public TaskCompletionSource<ConnectionClosed> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void OnText(string text) { }
        public void OnClosed(ConnectionClosed closed) => Closed.TrySetResult(closed);
    }

    public static TheoryData<Hostility, ClientDriver, string> Cases()
    {
        var data = new TheoryData<Hostility, ClientDriver, string>();
        foreach (var driver in new[] { ClientDriver.WebsocketClient, ClientDriver.Lean })
        {
            data.Add(Hostility.GiantFrame, driver, "disconnect:" + DisconnectCause.MessageTooBig);
            data.Add(Hostility.EndlessFragments, driver, "disconnect:" + DisconnectCause.MessageTooBig);
            data.Add(Hostility.GarbageHandshake, driver, "connect-error:bad-response");
            data.Add(Hostility.WrongAcceptKey, driver, "connect-error:bad-upgrade");
            data.Add(Hostility.Silent, driver, "connect-error:timeout");
            data.Add(Hostility.CloseMidFrame, driver, "disconnect:" + DisconnectCause.ClosedMidFrame);
            data.Add(Hostility.StalledFragment, driver, "disconnect:" + DisconnectCause.StalledFragment);
            data.Add(Hostility.InvalidUtf8, driver, "disconnect:" + DisconnectCause.ProtocolError);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_server_is_classified(Hostility hostility, ClientDriver driver, string expected)
    {
        await using var server = new HostileServer(hostility);
        var outcome = await OutcomeAsync(server.Url, driver, maxMessageSize: 1024 * 1024);
        Assert.True(outcome.StartsWith(expected, StringComparison.Ordinal), outcome);
    }

    [Theory]
    [InlineData(ClientDriver.WebsocketClient)]
    [InlineData(ClientDriver.Lean)]
    public async Task A_flood_of_small_frames_is_read_and_the_connection_closes_cleanly_when_asked(ClientDriver driver)
    {
        await using var server = new HostileServer(Hostility.Flood);
        var listener = new Listener();
        var connection = await SimulatedConnection.OpenAsync(Options(server.Url, driver, 1024 * 1024), listener);
        var end = await server.FloodedAsync(listener.Closed.Task);
        Assert.True(connection.IsOpen, $"the flood ended the connection: {end}");
        await connection.CloseAsync().WaitAsync(TimeSpan.FromSeconds(10));
        connection.Dispose();
        Assert.True(server.BytesSent > 1024 * 1024, $"the flood server sent {server.BytesSent} bytes");
    }

    private static ConnectOptions Options(Uri target, ClientDriver driver, long maxMessageSize) => new()
    {
        Target = target,
        Driver = driver,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        MaxMessageSize = maxMessageSize,
        FragmentTimeLimit = TimeSpan.FromSeconds(1),
    };

    /// <summary>How the connection ended, as the client grain counts it; bounded at 15 s.</summary>
    private static async Task<string> OutcomeAsync(Uri target, ClientDriver driver, long maxMessageSize)
    {
        var listener = new Listener();
        SimulatedConnection connection;
        try
        {
            connection = await SimulatedConnection.OpenAsync(Options(target, driver, maxMessageSize), listener).WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (ConnectFailedException e)
        {
            return "connect-error:" + e.Label + (e.Label is "closed-during-handshake" or "timeout" ? $" ({e.Message} / {e.InnerException})" : "");
        }
        using (connection)
        {
            var closed = await listener.Closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
            return closed.Loss is { } cause ? "disconnect:" + cause : $"close:{closed.Initiator}:{closed.Code}:{closed.Error}";
        }
    }
}
