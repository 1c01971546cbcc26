using System.Collections.Concurrent;
using SimCluster.Abstractions.Plans;
using SimCluster.Target;
using SimCluster.Tests.Support;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

/// <summary>
/// The lean driver's receive loop, which idles on a zero-byte read and reads each message into a pooled buffer,
/// against the real reference target: every size arrives whole and in order, and the server's close once.
/// </summary>
public sealed class LeanConnectionTests : IAsyncLifetime
{
    private ReferenceTarget _target = null!;

    public async Task InitializeAsync() => _target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });

    public async Task DisposeAsync() => await _target.DisposeAsync();

    private ConnectOptions Lean() => new() { Target = _target.WebSocketUri, Driver = ClientDriver.Lean };

    private sealed class Listener : IConnectionListener
    {
        public ConcurrentQueue<string> Texts { get; } = new();

        public TaskCompletionSource<ConnectionClosed> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int ClosedCalls;

        public void OnText(string text) => Texts.Enqueue(text);

        public void OnClosed(ConnectionClosed closed)
        {
            Interlocked.Increment(ref ClosedCalls);
            Closed.TrySetResult(closed);
        }
    }

    [Fact]
    public async Task Messages_of_every_size_around_the_first_read_come_back_whole_and_in_order()
    {
        // 0 (a header and nothing else), within the first 256-byte read, at its edge, and ones that grow the buffer.
        int[] sizes = [0, 1, 64, 255, 256, 257, 1000, 70_000, 3];
        var sent = sizes.Select((size, i) => new string((char)('a' + i), size)).ToArray();
        var listener = new Listener();
        var connection = await SimulatedConnection.OpenAsync(Lean(), listener);

        foreach (var text in sent) Assert.True(connection.Send(text));
        await Eventually.TrueAsync(() => listener.Texts.Count == sent.Length, $"{sent.Length} echoes");

        Assert.Equal(sent, listener.Texts);
        await connection.CloseAsync(1000, "bye");
        Assert.Equal(0, listener.ClosedCalls);
    }

    [Fact]
    public async Task An_idle_connection_still_hears_the_servers_close_once_with_its_code()
    {
        var listener = new Listener();
        using var connection = await SimulatedConnection.OpenAsync(Lean(), listener);
        Assert.True(connection.Send("one before idling"));
        await Eventually.TrueAsync(() => listener.Texts.Count == 1, "the echo");

        await _target.StopAsync(); // closes every connection with 1001

        var closed = await Eventually.Within(listener.Closed.Task, "OnClosed");
        Assert.Equal(CloseInitiator.Server, closed.Initiator);
        Assert.Equal(1001, closed.Code);
        Assert.Equal(1, listener.ClosedCalls);
        Assert.False(connection.IsOpen);
    }
}
