using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Commands;
using SimCluster.Cli.Output;
using SimCluster.Cli.Reports;
using Spectre.Console;

namespace SimCluster.Cli.Api;

/// <summary>
/// Executes one control-API run inside the silo that accepted it (the same pipeline as `simcluster run`) and
/// keeps its <see cref="IApiRunGrain"/> current, so any silo answers for it: the state and numbered events
/// every second, the report files at the end. A stop asked for on any silo comes back as the answer to a publish.
/// </summary>
internal sealed class ApiRunOwner
{
    /// <summary>How often the state is published even without new progress (a stop asked for is seen by then).</summary>
    private static readonly TimeSpan PublishEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    /// <summary>How many times the finish is tried: without it, the run's report never reaches the other silos.</summary>
    private const int FinishAttempts = 10;

    private readonly IApiRunGrain _grain;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly StringWriter _errors = new();
    private readonly Lock _lock = new();
    private readonly List<ApiRunEvent> _pending = [];
    private ApiRunRecord _record;
    private long _lastId;
    private string? _casesSent;
    private bool _progressSeen;
    private bool _stopAsked;
    private bool _finished;
    /// <summary>Completed when there is something new to publish; replaced by the publish loop.</summary>
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ApiRunOwner(IApiRunGrain grain, ApiRunRecord record, TimeProvider time)
    {
        _grain = grain;
        _record = record;
        _time = time;
    }

    public void Begin(RunArguments args)
    {
        var view = new CallbackView(OnProgress);
        // The summary a terminal would show goes nowhere: the API's answer is the report.
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Ansi = AnsiSupport.No });
        var publishing = Task.Run(PublishLoopAsync);
        _ = Task.Run(async () =>
        {
            int exitCode;
            try
            {
                exitCode = await RunCommand.ExecuteAsync(args with { View = view, Output = TextWriter.Null }, console, _errors, _stop.Token);
            }
            catch (Exception e)
            {
                _errors.WriteLine($"error: {e.GetBaseException().Message}");
                exitCode = ExitCodes.CouldNotRun;
            }
            var files = await ReadFilesAsync(args.Out!);
            lock (_lock) _finished = true;
            Wake();
            await publishing;
            await FinishAsync(exitCode, files);
        });
    }

    private void OnProgress(RunProgress progress)
    {
        bool cancel;
        lock (_lock)
        {
            _record = _record with { Progress = progress };
            _pending.Add(new ApiRunEvent(++_lastId, ApiRunEventKind.Progress, ControlApi.ProgressJson(progress).ToJsonString()));
            if (progress.Cases.Length > 0)
            {
                var cases = ControlApi.CasesJson(progress).ToJsonString();
                if (cases != _casesSent)
                {
                    _casesSent = cases;
                    _pending.Add(new ApiRunEvent(++_lastId, ApiRunEventKind.Cases, cases));
                }
            }
            _progressSeen = true;
            cancel = _stopAsked;
        }
        if (cancel) _stop.Cancel();
        Wake();
    }

    private void Wake()
    {
        TaskCompletionSource wake;
        lock (_lock) wake = _wake;
        wake.TrySetResult();
    }

    /// <summary>
    /// One publish at a time, in id order; a failed one keeps its events for the next. A stop is passed to the run
    /// only once its driver reports progress: from then on a cancellation ends the run with a partial report,
    /// while before it (the target starting, the plan being built) it would end the run without one.
    /// </summary>
    private async Task PublishLoopAsync()
    {
        while (true)
        {
            Task wake;
            lock (_lock) wake = _wake.Task;
            await Task.WhenAny(wake, Task.Delay(PublishEvery, _time));
            ApiRunRecord record;
            ApiRunEvent[] events;
            bool finished;
            lock (_lock)
            {
                if (_wake.Task.IsCompleted) _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                record = _record;
                events = [.. _pending];
                finished = _finished;
            }
            try
            {
                var stopAsked = await _grain.Publish(record, events).WaitAsync(CallTimeout, _time);
                bool cancel;
                lock (_lock)
                {
                    _pending.RemoveRange(0, events.Length);
                    _stopAsked |= stopAsked;
                    cancel = _stopAsked && _progressSeen;
                }
                if (cancel) _stop.Cancel();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The grain's silo may be gone: the next publish re-creates it with the state as it stands.
            }
            if (finished) return;
        }
    }

    private async Task FinishAsync(int exitCode, ApiReportFiles? files)
    {
        var errors = _errors.ToString().Trim();
        ApiRunRecord record;
        lock (_lock)
        {
            record = _record = _record with
            {
                ExitCode = exitCode,
                Verdict = files is null ? null : ReportVerdict(files.Json),
                Errors = errors.Length > 0 ? errors : null,
            };
        }
        var completed = new ApiRunEvent(_lastId + 1, ApiRunEventKind.Completed, ControlApi.StateJson(record).ToJsonString());
        for (var attempt = 1; attempt <= FinishAttempts; attempt++)
        {
            try
            {
                // The events a failed last publish kept go first: the stream must not skip them.
                ApiRunEvent[] pending;
                lock (_lock) pending = [.. _pending];
                if (pending.Length > 0) await _grain.Publish(record, pending).WaitAsync(CallTimeout, _time);
                lock (_lock) _pending.Clear();
                await _grain.Finish(record, completed, files).WaitAsync(CallTimeout, _time);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException && attempt < FinishAttempts)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"warning: run {record.RunId} finished (exit {exitCode}) but the cluster could not be told: {e.GetBaseException().Message}; its report is in {record.ReportFolder}");
            }
        }
    }

    private static string? ReportVerdict(string json)
    {
        try { return System.Text.Json.Nodes.JsonNode.Parse(json)?["verdict"]?.GetValue<string>(); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException) { return null; }
    }

    /// <summary>The report folder's files; null when the run wrote no report.json.</summary>
    private static async Task<ApiReportFiles?> ReadFilesAsync(string folder)
    {
        async Task<string?> Read(string name)
        {
            var path = Path.Combine(folder, name);
            try { return File.Exists(path) ? await File.ReadAllTextAsync(path) : null; }
            catch (IOException) { return null; }
        }
        return await Read(ReportFiles.JsonName) is { } json
            ? new ApiReportFiles { Json = json, Html = await Read(ReportFiles.HtmlName), Junit = await Read(ReportFiles.JunitName) }
            : null;
    }

    /// <summary>Hands each second's progress to the owner instead of drawing it.</summary>
    private sealed class CallbackView(Action<RunProgress> onProgress) : IProgressView
    {
        public Task RunAsync(Func<Action<RunProgress>, Task> body) => body(onProgress);
    }
}
