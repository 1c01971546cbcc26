using System.Diagnostics;
using System.Text.Json.Nodes;

namespace SimCluster.Cli.Runs;

/// <summary>
/// Samples this process once a second while a run goes: resident memory, managed heap, CPU and GC pauses.
/// With an embedded silo the clients live in this process, so these are the tool's own costs, reported
/// beside what it measured (a load generator that hides its overhead cannot be trusted).
/// </summary>
public sealed class ToolSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly TimeSpan _pauseAtStart = GC.GetTotalPauseDuration();
    private long _peakRss;
    private long _heapAtPeak;
    private int _samples;
    private readonly TimeSpan? _probeAt;
    private JsonObject? _liveProbe;
    private readonly JsonArray _series = [];
    private static readonly TimeSpan SeriesEvery = TimeSpan.FromSeconds(10);

    /// <param name="liveHeapProbeAt">
    /// When set (benchmarks: SIMCLUSTER_LIVE_HEAP_PROBE=1), one full compacting GC is forced at that point of
    /// the run to measure the live heap exactly. It pauses the process once, so ordinary runs do not do it.
    /// </param>
    public ToolSampler(TimeProvider time, TimeSpan? liveHeapProbeAt = null)
    {
        _time = time;
        _started = time.GetTimestamp();
        _probeAt = liveHeapProbeAt;
        _loop = LoopAsync();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Sample();
                if (_samples % (int)SeriesEvery.TotalSeconds == 0) _series.Add(SeriesPoint());
                if (_probeAt is { } at && _liveProbe is null && Elapsed >= at) _liveProbe = ProbeLiveHeap();
            }
        }
        catch (OperationCanceledException) { }
    }

    private TimeSpan Elapsed => _time.GetElapsedTime(_started);

    private void Sample()
    {
        var rss = Environment.WorkingSet;
        _samples++;
        if (rss <= _peakRss) return;
        _peakRss = rss;
        _heapAtPeak = GC.GetGCMemoryInfo().HeapSizeBytes;
    }

    /// <summary>One point of the tool's memory over time (every 10 s): soak runs read growth after warm-up from it.</summary>
    private JsonObject SeriesPoint()
    {
        var info = GC.GetGCMemoryInfo();
        return new JsonObject
        {
            ["t"] = (int)Math.Round(Elapsed.TotalSeconds),
            ["rssMb"] = Math.Round(Environment.WorkingSet / 1_048_576.0, 1),
            ["heapMb"] = Math.Round(info.HeapSizeBytes / 1_048_576.0, 1),
            ["heapAfterLastGcMb"] = Math.Round((info.HeapSizeBytes - info.FragmentedBytes) / 1_048_576.0, 1),
            ["gen2Collections"] = GC.CollectionCount(2),
        };
    }

    /// <summary>
    /// The kernel's exact peak resident set of this process (Linux VmHWM), which a once-a-second sample can
    /// miss; null elsewhere.
    /// </summary>
    private static double? HighWaterRssMb()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kb is null ? null : Math.Round(long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) / 1024.0, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static JsonObject ProbeLiveHeap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        var live = GC.GetTotalMemory(forceFullCollection: true);
        return new JsonObject
        {
            ["liveHeapMb"] = Math.Round(live / 1_048_576.0, 1),
            ["rssMbAfterGc"] = Math.Round(Environment.WorkingSet / 1_048_576.0, 1),
        };
    }

    /// <summary>Stops sampling and summarises: peak RSS and the heap at that moment, average CPU, GC pause share.</summary>
    public async Task<JsonObject> FinishAsync(bool embeddedSilo)
    {
        Sample();
        await _stop.CancelAsync();
        await _loop;
        var elapsed = Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart).TotalSeconds;
        var pause = (GC.GetTotalPauseDuration() - _pauseAtStart).TotalSeconds;
        return new JsonObject
        {
            ["embeddedSilo"] = embeddedSilo,
            ["peakRssMb"] = Math.Round(_peakRss / 1_048_576.0, 1),
            ["highWaterRssMb"] = HighWaterRssMb(),
            ["heapMbAtPeak"] = Math.Round(_heapAtPeak / 1_048_576.0, 1),
            ["cpuPercent"] = Math.Round(elapsed > 0 ? cpu / elapsed * 100 : 0, 1),
            // The cores this process may run on (its affinity): cpuPercent is out of 100 per core.
            ["cores"] = Environment.ProcessorCount,
            ["gcPausePercent"] = Math.Round(elapsed > 0 ? pause / elapsed * 100 : 0, 2),
            ["gcMode"] = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
            ["samples"] = _samples,
            ["liveHeapProbe"] = _liveProbe,
            ["series"] = _series,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }
}
