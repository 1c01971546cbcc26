using SimCluster.Abstractions.Security;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Output;
using SimCluster.Cli.Reports;
using SimCluster.Cli.Runs;
using SimCluster.Grains.Behaviors;
using SimCluster.Scenarios;
using Spectre.Console;

namespace SimCluster.Cli.Commands;

public sealed record RunArguments
{
    public required string ScenarioPath { get; init; }
    public string? Target { get; init; }
    public int? Clients { get; init; }
    public string? Duration { get; init; }
    public long? Seed { get; init; }
    public string? Out { get; init; }
    public string? Cluster { get; init; }
    public IReadOnlyList<string> Sets { get; init; } = [];
    public IReadOnlyList<string> AllowTargets { get; init; } = [];
    public bool NoLive { get; init; }
}

/// <summary>
/// `simcluster run`: scenario file → validated scenario → plan → coordinator grain → live progress →
/// report.json and the exit code. Every input problem is found before anything starts.
/// </summary>
public static class RunCommand
{
    public static async Task<int> ExecuteAsync(RunArguments args, IAnsiConsole console, TextWriter stderr, CancellationToken ct)
    {
        var loaded = ScenarioLoader.LoadFile(args.ScenarioPath, Overrides(args), ScenarioVocabulary.Default);
        if (!loaded.Ok)
        {
            ValidateCommand.PrintErrors(loaded.Errors, stderr);
            return ExitCodes.InvalidInput;
        }
        var scenario = loaded.Scenario!;
        var unsupported = Unsupported(scenario);
        if (unsupported.Count > 0)
        {
            foreach (var e in unsupported) stderr.WriteLine($"{scenario.SourcePath}: {e}");
            return ExitCodes.InvalidInput;
        }

        var seed = args.Seed ?? scenario.Seed ?? Random.Shared.NextInt64(1, int.MaxValue);
        var refused = TargetGuard.Check(scenario.Target.Urls, [.. scenario.AllowTargets, .. args.AllowTargets]);
        if (refused.Count > 0)
        {
            foreach (var e in refused) stderr.WriteLine($"error: {e}");
            return ExitCodes.CouldNotRun;
        }

        var runId = $"{scenario.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var outDir = args.Out ?? Path.Combine("simcluster-reports", $"{scenario.Name}-{DateTime.Now:yyyyMMdd-HHmmss}");

        EmbeddedTarget? embedded = null;
        ClusterConnection? cluster = null;
        // System.CommandLine turns SIGINT and SIGTERM into the cancellation of ct; these only note which one
        // came, so the partial report can say so (they do not cancel the default handling themselves).
        string? signal = null;
        using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => signal ??= "SIGINT (Ctrl-C)");
        using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => signal ??= "SIGTERM");
        try
        {
            IReadOnlyList<Uri> targets;
            if (scenario.Target.IsEmbedded)
            {
                embedded = await EmbeddedTarget.StartAsync(scenario.EmbeddedTarget.ToArguments(), ct);
                targets = [embedded.WebSocketUri];
            }
            else
            {
                targets = scenario.Target.Urls;
            }
            console.MarkupLine($"[bold]{Markup.Escape(scenario.Name)}[/]: {scenario.Clients} clients for {scenario.Duration.TotalSeconds:0.#} s against {Markup.Escape(Secrets.Redact(string.Join(", ", targets)))} (seed {seed})");

            cluster = await ClusterConnection.ConnectAsync(args.Cluster, ct);
            using var probe = new TargetProbe(targets[0]);
            var statsBefore = await probe.ReadAsync(collectGarbage: true, ct);

            await using var sampler = new ToolSampler(Environment.GetEnvironmentVariable("SIMCLUSTER_LIVE_HEAP_PROBE") == "1"
                ? scenario.Duration * 0.7 : null);
            var plan = PlanBuilder.Build(scenario, runId, seed, targets);
            var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>(runId);
            await coordinator.Start(plan);

            var view = args.NoLive || Console.IsOutputRedirected || !console.Profile.Capabilities.Interactive
                ? (IProgressView)new PlainProgressView(Console.Out, scenario.Duration.TotalSeconds)
                : new LiveProgressView(console, scenario.Name, scenario.Duration.TotalSeconds, scenario.RampUp.TotalSeconds);
            var interrupted = false;
            await view.RunAsync(async show =>
            {
                while (true)
                {
                    var progress = await coordinator.GetProgress();
                    show(progress);
                    if (progress.Phase is RunPhase.Completed or RunPhase.Failed) return;
                    try { await Task.Delay(1000, ct); }
                    catch (OperationCanceledException) when (!interrupted)
                    {
                        interrupted = true;
                        await coordinator.Abort($"interrupted by {signal ?? "a stop request"} after {progress.ElapsedSeconds:0} s");
                    }
                    if (interrupted) await Task.Delay(500, CancellationToken.None);
                }
            });

            var result = await coordinator.GetResult() ?? throw new InvalidOperationException("the run ended without a result");
            var statsAfter = statsBefore is null ? null : await probe.ReadSettledAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            // An interrupted run still stops its clients, collects their numbers and writes every report file,
            // marked partial (exit 106), so a Ctrl-C or a pod eviction never loses what was measured.
            var report = Report.Create(scenario, seed, targets, result, statsBefore, statsAfter,
                    interrupted ? result.AbortReason ?? $"interrupted by {signal ?? "a stop request"}" : null)
                with { Tool = await sampler.FinishAsync(embeddedSilo: string.IsNullOrEmpty(args.Cluster)) };
            report = report with { ScenarioSource = ScenarioSource.Read(args.ScenarioPath, Overrides(args)) };
            await report.WriteAsync(outDir);
            SummaryPrinter.Print(console, report, outDir);
            await ReportFiles.WriteAsync(outDir, report.ToJson(), Console.Out, stderr);
            return report.Partial ? ExitCodes.Partial : report.Passed ? ExitCodes.Passed : ExitCodes.ThresholdFailed;
        }
        catch (Exception e) when (e is InvalidOperationException or OrleansException or TimeoutException or IOException or ArgumentException)
        {
            stderr.WriteLine($"error: the run could not be carried out: {e.GetBaseException().Message}");
            return ExitCodes.CouldNotRun;
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
            if (embedded is not null) await embedded.DisposeAsync();
        }
    }

    /// <summary>Command-line shortcuts are applied as <c>--set</c> overrides, so their errors point at the option too.</summary>
    private static List<string> Overrides(RunArguments args)
    {
        var sets = new List<string>(args.Sets);
        if (args.Target is not null) sets.Add($"target={args.Target}");
        if (args.Clients is not null) sets.Add($"clients={args.Clients}");
        if (args.Duration is not null) sets.Add($"duration={args.Duration}");
        return sets;
    }

    /// <summary>Valid scenario parts this build cannot run yet: refused up front rather than half-run.</summary>
    private static List<string> Unsupported(Scenario scenario)
    {
        var errors = new List<string>();
        if (scenario.Auth is not null)
            errors.Add("auth: token handling is not yet supported by the simulated clients");
        foreach (var group in scenario.Population.Where(g => !BehaviorRegistry.Names.Contains(g.Behavior)))
            errors.Add($"population.{group.Name}.behavior: '{group.Behavior}' is not yet available in this build (available: {string.Join(", ", BehaviorRegistry.Names)})");
        return errors;
    }
}
