using SimCluster.Abstractions.Metrics;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>
/// Client-sent heartbeats for <c>heartbeat_rtt</c>, one per open connection, stopped with it: WebSocket PINGs
/// (<see cref="ForWebSocket"/>, each carrying its send timestamp; the frame scanner under the WebSocket sees the
/// PONG, which the .NET WebSocket would swallow) or, with <c>heartbeat.appLevel</c>, the protocol's own
/// ping/pong frames (<see cref="ForProtocol"/>, <see cref="IAppHeartbeat"/>). Either way an answer missing for
/// <c>heartbeat.timeout</c> ends the connection through the owner's <c>timedOut</c> callback.
/// </summary>
public sealed class HeartbeatPinger : IDisposable
{
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly PongDeadline _deadline;
    private readonly Func<long, ValueTask> _ping;
    private readonly Action _unsubscribe;
    private readonly ITimer _timer;
    private readonly object _gate = new();
    private int _unanswered;
    private TaskCompletionSource? _allAnswered;

    private HeartbeatPinger(TimeSpan interval, TimeSpan timeout, GroupRecorder metrics, TimeProvider time, Action timedOut,
        Func<long, ValueTask> ping, Func<HeartbeatPinger, Action> subscribe)
    {
        _metrics = metrics;
        _time = time;
        _ping = ping;
        _deadline = new PongDeadline(time, timeout, timedOut);
        _unsubscribe = subscribe(this);
        _timer = time.CreateTimer(_ => _ = PingAsync(), null, interval, interval);
    }

    public static HeartbeatPinger ForWebSocket(FaultStream stream, TimeSpan interval, TimeSpan timeout, GroupRecorder metrics, TimeProvider time, Action timedOut) =>
        new(interval, timeout, metrics, time, timedOut, at => stream.SendPingAsync((ulong)at), pinger =>
        {
            void OnPong(ulong payload, int length)
            {
                if (length == 8) pinger.Answered((long)payload); // not one of ours otherwise
            }
            stream.Scanner!.PongSeen += OnPong;
            return () => stream.Scanner!.PongSeen -= OnPong;
        });

    public static HeartbeatPinger ForProtocol(IAppHeartbeat heartbeat, TimeSpan interval, TimeSpan timeout, GroupRecorder metrics, TimeProvider time, Action timedOut) =>
        new(interval, timeout, metrics, time, timedOut, at => { heartbeat.SendPing(at); return ValueTask.CompletedTask; }, pinger =>
        {
            heartbeat.PongSeen += pinger.Answered;
            return () => heartbeat.PongSeen -= pinger.Answered;
        });

    private async Task PingAsync()
    {
        try
        {
            _deadline.PingSent();
            lock (_gate) _unanswered++;
            await _ping(_time.GetTimestamp());
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // The connection is going away; its owner will hear about it. This ping never left.
            Settle();
        }
    }

    private void Answered(long sentAt)
    {
        var rtt = _time.GetElapsedTime(sentAt);
        if (rtt < TimeSpan.Zero || rtt >= TimeSpan.FromMinutes(10)) return; // not a timestamp of ours
        _deadline.Answered();
        _metrics.Record(MetricNames.HeartbeatRtt, rtt);
        Settle();
    }

    private void Settle()
    {
        lock (_gate)
        {
            if (_unanswered > 0) _unanswered--;
            if (_unanswered == 0) _allAnswered?.TrySetResult();
        }
    }

    /// <summary>
    /// The run is over: no more pings and no heartbeat timeout, but the answers to the pings already sent are still
    /// recorded, within <paramref name="grace"/>, so every ping the server answered has its <c>heartbeat_rtt</c>.
    /// </summary>
    public async Task DrainAsync(TimeSpan grace)
    {
        _timer.Dispose();
        _deadline.Dispose();
        Task answered;
        lock (_gate)
        {
            if (_unanswered == 0) return;
            answered = (_allAnswered ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        try { await answered.WaitAsync(grace, _time).ConfigureAwait(false); }
        catch (TimeoutException) { }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _deadline.Dispose();
        _unsubscribe();
    }
}
