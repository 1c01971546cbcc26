using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// One control-API run as the cluster knows it: the owner silo's latest state, its event log and, once over,
/// its report files. Reentrant so that streams waiting for the next event (<see cref="Read"/>) do not hold up
/// the owner's publishes; no call awaits between reading and changing the state.
/// </summary>
[Reentrant]
public sealed class ApiRunGrain(TimeProvider time) : Grain, IApiRunGrain
{
    /// <summary>How long a finished run is kept after its last change (the registry's bound may forget it sooner).</summary>
    private static readonly TimeSpan KeepFor = TimeSpan.FromDays(1);

    /// <summary>Longest wait of one <see cref="Read"/>: well inside Orleans' response timeout.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    private readonly ApiRunEventLog _log = new();
    private ApiRunRecord? _record;
    private ApiReportFiles? _files;
    private bool _stopRequested;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<bool> Publish(ApiRunRecord record, ApiRunEvent[] events)
    {
        // A publish that arrives after the finish (a retry) changes nothing.
        if (!_log.Completed)
        {
            _record = record with { StopRequested = _stopRequested };
            _log.Append(events);
            Changed();
        }
        return Task.FromResult(_stopRequested);
    }

    public Task Finish(ApiRunRecord record, ApiRunEvent completed, ApiReportFiles? files)
    {
        if (_log.Completed) return Task.CompletedTask;
        _record = record with { StopRequested = _stopRequested };
        _files = files;
        _log.Append([completed]);
        Changed();
        return Task.CompletedTask;
    }

    public Task<ApiRunRecord?> Get() => Task.FromResult(_record);

    public async Task<ApiRunEventPage?> Read(long? afterId, TimeSpan wait)
    {
        if (_record is null) return null;
        var events = _log.After(afterId);
        if (events.Length == 0 && !_log.Completed && wait > TimeSpan.Zero)
        {
            await Task.WhenAny(_changed.Task, Task.Delay(wait < MaxWait ? wait : MaxWait, time));
            events = _log.After(afterId);
        }
        return new ApiRunEventPage(events, _log.Completed);
    }

    public Task<ApiRunRecord?> RequestStop()
    {
        if (_record is null) return Task.FromResult<ApiRunRecord?>(null);
        if (_record.ExitCode is null)
        {
            _stopRequested = true;
            _record = _record with { StopRequested = true };
        }
        return Task.FromResult<ApiRunRecord?>(_record);
    }

    public Task<string?> ReportFile(ApiReportFormat format) => Task.FromResult(_files?.Get(format));

    public Task Forget()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private void Changed()
    {
        DelayDeactivation(KeepFor);
        var waiting = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting.TrySetResult();
    }
}
