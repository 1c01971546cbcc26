using SimCluster.Abstractions.Metrics;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>
/// Client-sent WebSocket PINGs for <c>heartbeat_rtt</c>. Each PING carries its send timestamp; the
/// frame scanner under the WebSocket sees the PONG (which the .NET WebSocket would swallow) and the
/// round trip is recorded. One per open connection; stops with it.
/// </summary>
public sealed class HeartbeatPinger : IDisposable
{
    private readonly FaultStream _stream;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;

    public HeartbeatPinger(FaultStream stream, TimeSpan interval, GroupRecorder metrics, TimeProvider time)
    {
        _stream = stream;
        _metrics = metrics;
        _time = time;
        stream.Scanner!.PongSeen += OnPong;
        _timer = time.CreateTimer(_ => _ = PingAsync(), null, interval, interval);
    }

    private async Task PingAsync()
    {
        try { await _stream.SendPingAsync((ulong)_time.GetTimestamp()); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // The connection is going away; its owner will hear about it.
        }
    }

    private void OnPong(ulong payload, int length)
    {
        if (length != 8) return; // not one of ours
        var rtt = _time.GetElapsedTime((long)payload);
        if (rtt >= TimeSpan.Zero && rtt < TimeSpan.FromMinutes(10)) _metrics.Record(MetricNames.HeartbeatRtt, rtt);
    }

    public void Dispose()
    {
        _timer.Dispose();
        _stream.Scanner!.PongSeen -= OnPong;
    }
}
