using System.Collections.Concurrent;
using SimCluster.Transport;

namespace SimCluster.Tests.Support;

/// <summary>
/// A connection that goes nowhere: it keeps every text the traffic under test sends, so a test can play the
/// server by hand (answer, drop, duplicate) on fake time. Nothing touches the network.
/// </summary>
public sealed class RecordingConnection() : SimulatedConnection(new Ignore())
{
    public ConcurrentQueue<string> Sent { get; } = new();

    protected override OpenedSocket? Opened => null;
    public override bool IsOpen => !Ended;

    public override bool Send(string text)
    {
        if (!IsOpen) return false;
        Sent.Enqueue(text);
        return true;
    }

    /// <summary>Everything sent so far, taken out.</summary>
    public List<string> Take()
    {
        var taken = new List<string>();
        while (Sent.TryDequeue(out var text)) taken.Add(text);
        return taken;
    }

    public override Task CloseAsync(int code = 1000, string reason = "bye") => Task.CompletedTask;
    protected override void DisposeDriver() { }

    private sealed class Ignore : IConnectionListener
    {
        public void OnText(string text) { }
        public void OnClosed(ConnectionClosed closed) { }
    }
}
