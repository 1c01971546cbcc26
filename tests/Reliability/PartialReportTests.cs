using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Reliability;

/// <summary>
/// Results survive trouble. A run stopped by SIGTERM (a CI job cancelled, a pod evicted) stops
/// its clients, writes report.json, report.html and report.junit.xml marked partial with the reason, and
/// exits 105 (aborted). SIGHUP (the terminal or ssh session closed) and SIGQUIT end the run the same way.
/// </summary>
[Collection(ProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PartialReportTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("partial");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("HUP")]
    [InlineData("QUIT")]
    public async Task A_run_stopped_by_a_signal_writes_a_partial_report_and_exits_105(string signal)
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, outside the measured run
        var outDir = Path.Combine(_temp, $"report-{signal}");
        var info = ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["run", "scenarios/smoke.yaml", "--duration", "10m", "--no-live", "--out", outDir], Simcluster.RepoRoot);
        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var firstProgress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data.StartsWith("[running", StringComparison.Ordinal)) firstProgress.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // ./simcluster execs the CLI, so this pid is the CLI itself. Let the clients run a few seconds.
            // Bounds, not bands: a busy machine can take a minute or more to bring the embedded silo up.
            await firstProgress.Task.WaitAsync(TimeSpan.FromSeconds(240));
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.True(Signals.Send(process.Id, signal));
            // Stopping, not running on to the planned 10 minutes: the process exits inside this bound, and the report
            // below covers less than two minutes by the run's own clock.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            process.WaitForExit();
            string output;
            lock (stdout) output = stdout.ToString();

            Assert.True(process.ExitCode == 105, $"exit {process.ExitCode}\n{output}");
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            Assert.True((bool)report["partial"]!, output);
            Assert.Equal("partial", (string?)report["verdict"]);
            Assert.Contains($"SIG{signal}", (string?)report["partialReason"]);
            Assert.True(report["durationSeconds"]!.GetValue<double>() < 120, "the report covers the whole planned 10 minutes");
            Assert.True(Contract.Count(report, "connects") >= 20, report["metrics"]!.ToJsonString());
            Assert.True(Contract.Count(report, "messages_sent") > 0);
            Assert.True(Contract.Count(report, "messages_received") > 0);
            Assert.Contains($"SIG{signal}", await File.ReadAllTextAsync(Path.Combine(outDir, "report.html")));
            Assert.Contains("partial", await File.ReadAllTextAsync(Path.Combine(outDir, "report.junit.xml")));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
