using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace SimCluster.Target;

/// <summary>
/// Sends every connected client a <c>push</c> invocation with <c>{seq, ts}</c> each interval. A connection whose
/// previous push has not been taken yet (a full stateful-reconnect buffer holds SignalR's sends until an ack) skips
/// this one but uses up its seq, so the client sees the gap and the hub counts it in PushesNotSent; once a later
/// push goes out, the skipped ones before it are gaps the client can see (PushGaps). With a push count, a
/// connection's pushes end at that seq.
/// </summary>
internal sealed class HubPusher : IDisposable
{
    private readonly ConcurrentDictionary<string, Stream> _streams = new(StringComparer.Ordinal);
    private readonly SignalRStats _stats;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly long _count;
    private IHubContext<ReferenceHub>? _hub;
    private ITimer? _timer;
    private int _ticking;

    public HubPusher(SignalRTargetOptions options, SignalRStats stats, TimeProvider time)
    {
        _stats = stats;
        _time = time;
        _interval = options.PushInterval;
        _count = options.PushCount;
    }

    /// <summary>Starts the pushes (none when the interval is zero).</summary>
    public void Start(IHubContext<ReferenceHub> hub)
    {
        _hub = hub;
        if (_interval > TimeSpan.Zero)
        {
            _timer = _time.CreateTimer(_ => Tick(), null, _interval, _interval);
        }
    }

    public void Add(string connectionId) => _streams[connectionId] = new Stream();

    public void Remove(string connectionId) => _streams.TryRemove(connectionId, out _);

    private void Tick()
    {
        // A tick that overruns the interval (thousands of clients on a busy machine) makes the next one skip, not pile up.
        if (Interlocked.Exchange(ref _ticking, 1) != 0 || _hub is not { } hub)
        {
            return;
        }

        try
        {
            var ts = _time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var (id, stream) in _streams)
            {
                if (_count > 0 && stream.Seq >= _count)
                {
                    continue;
                }

                var seq = ++stream.Seq;
                if (!stream.Pending.IsCompleted)
                {
                    Interlocked.Increment(ref _stats.PushesNotSent);
                    stream.Skipped++;
                    continue;
                }

                stream.Pending = hub.Clients.Client(id).SendAsync(ReferenceHub.PushTarget, new PushMessage(seq, ts));
                Interlocked.Increment(ref _stats.PushesSent);
                Interlocked.Add(ref _stats.PushGaps, stream.Skipped);
                stream.Skipped = 0;
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>One connection's pushes; touched only by the (single) tick.</summary>
    private sealed class Stream
    {
        public long Seq;
        public long Skipped;
        public Task Pending = Task.CompletedTask;
    }
}
