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
    /// <summary>As typed: checked like <c>--set clients=...</c>, by the scenario's number parser.</summary>
    public string? Clients { get; init; }
    public string? Duration { get; init; }
    public long? Seed { get; init; }
    public string? Out { get; init; }
    public string? Cluster { get; init; }
    /// <summary>PostgreSQL clustering: the file holding the password when the URL has none (else PGPASSWORD).</summary>
    public string? ClusterPasswordFile { get; init; }
    /// <summary>`--cluster-wait`: how long to wait for a silo to join the cluster (null: the default).</summary>
    public TimeSpan? ClusterWait { get; init; }
    /// <summary>`--response-timeout`: the cluster client's response timeout (null: the default).</summary>
    public TimeSpan? ResponseTimeout { get; init; }
    /// <summary>`--gateway-refresh`: how often the cluster client re-reads the live gateways (null: the default).</summary>
    public TimeSpan? GatewayListRefreshPeriod { get; init; }
    public IReadOnlyList<string> Sets { get; init; } = [];
    public IReadOnlyList<string> AllowTargets { get; init; } = [];
    public bool NoLive { get; init; }
    /// <summary>`--dashboard [PORT]`: the live run page on 127.0.0.1:PORT (0 = a free port) for an embedded run; null = off.</summary>
    public int? Dashboard { get; init; }

    // Set by the control API, which runs scenarios inside a silo: its own grain factory instead of a
    // cluster connection, a run id it handed out already, and a progress view that feeds its event stream.
    public string? RunId { get; init; }
    public IGrainFactory? Grains { get; init; }
    public IProgressView? View { get; init; }
    public TextWriter? Output { get; init; }
}

/// <summary>
/// `simcluster run`: scenario file → validated scenario → plan → coordinator grain → live progress →
/// report.json and the exit code. Every input problem is found before anything starts.
/// </summary>
public static class RunCommand
{
    public static async Task<int> ExecuteAsync(RunArguments args, IAnsiConsole console, TextWriter stderr, CancellationToken ct)
    {
        var loaded = ScenarioLoader.LoadFile(args.ScenarioPath, LabelledOverrides(args), ScenarioVocabulary.Default);
        if (!loaded.Ok)
        {
            ValidateCommand.PrintProblems(loaded, stderr);
            return ExitCodes.InvalidInput;
        }
        ValidateCommand.PrintWarnings(loaded.Warnings, stderr); // the run goes on: a warning is not an error
        var scenario = loaded.Scenario!;
        var unsupported = Unsupported(scenario);
        var auth = AuthSetup.Prepare(scenario, inProcessSilo: string.IsNullOrEmpty(args.Cluster), unsupported);
        ConnectSetup.Check(scenario, unsupported);
        if (unsupported.Count > 0)
        {
            foreach (var e in unsupported) stderr.WriteLine(e.StartsWith(scenario.SourcePath, StringComparison.Ordinal) ? e : $"{scenario.SourcePath}: {e}");
            return ExitCodes.InvalidInput;
        }

        if (args.Dashboard is not null && (!string.IsNullOrEmpty(args.Cluster) || args.Grains is not null))
        {
            stderr.WriteLine($"error: --dashboard serves the live page of an embedded run; on a cluster every silo's HTTP port serves it at {Api.LivePages.Prefix}/RUN-ID");
            return ExitCodes.InvalidInput;
        }
        var seed = args.Seed ?? scenario.Seed ?? Random.Shared.NextInt64(1, int.MaxValue);
        var refused = TargetGuard.Check(scenario.Target.Urls, [.. scenario.AllowTargets, .. args.AllowTargets]);
        if (refused.Count > 0)
        {
            foreach (var e in refused) stderr.WriteLine($"error: {Secrets.RedactMessage(null, e)}");
            return ExitCodes.CouldNotRun;
        }

        var runId = args.RunId ?? NewRunId(scenario.Name);
        // The report folder is claimed now: an unusable --out must not be found after the whole run.
        using var output = OutputFolder.Claim(args.Out, scenario.Name, DateTime.Now, out var refusal);
        if (output is null)
        {
            stderr.WriteLine($"error: {refusal!.Message}");
            return refusal.InUse ? ExitCodes.CouldNotRun : ExitCodes.InvalidInput;
        }
        var outDir = output.Path;

        EmbeddedTarget? embedded = null;
        ClusterConnection? cluster = null;
        Api.LiveDashboard? dashboard = null;
        // System.CommandLine turns SIGINT and SIGTERM into the cancellation of ct; these only note which one
        // came, so the partial report can say so (they do not cancel the default handling themselves).
        // SIGHUP (the terminal or ssh session closed) and SIGQUIT would otherwise end the process at once (or
        // be ignored): they end the run the same way, with a partial report.
        string? signal = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => signal ??= "SIGINT (Ctrl-C)");
        using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => signal ??= "SIGTERM");
        // (Not inside a silo, whose runs come through the control API: the silo's own signals are its host's.)
        using var onSighup = args.Grains is null ? PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => Stop(c, "SIGHUP")) : null;
        using var onSigquit = args.Grains is null ? PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => Stop(c, "SIGQUIT")) : null;
        void Stop(PosixSignalContext context, string name)
        {
            context.Cancel = true;
            signal ??= name;
            try { stop.Cancel(); } catch (ObjectDisposedException) { } // the run is over already
        }
        ct = stop.Token;
        try
        {
            IReadOnlyList<Uri> targets;
            if (scenario.Target.IsEmbedded)
            {
                embedded = await EmbeddedTarget.StartAsync([.. scenario.EmbeddedTarget.ToArguments(), .. auth.TargetArguments], ct, auth.TargetEnvironment);
                // A SignalR hub speaks on its own path; its WebSocket is the hub URL with the ws scheme.
                targets = [scenario.Protocol == SimCluster.Abstractions.Plans.ProtocolKind.Signalr ? new UriBuilder(embedded.HubUri) { Scheme = "ws" }.Uri : embedded.WebSocketUri];
            }
            else
            {
                targets = scenario.Target.Urls;
            }
            if (await TargetPreCheck.CheckAsync(targets, TimeProvider.System, ct) is { } unreachable)
            {
                stderr.WriteLine($"error: {unreachable}");
                return ExitCodes.CouldNotRun;
            }
            console.MarkupLine($"[bold]{Markup.Escape(scenario.Name)}[/]: {scenario.Clients} clients for {scenario.Duration.TotalSeconds:0.#} s against {Markup.Escape(Secrets.Redact(string.Join(", ", targets)))} (seed {seed})");

            IGrainFactory grains;
            if (args.Grains is not null) grains = args.Grains;
            else grains = (cluster = await ClusterConnection.ConnectAsync(args.Cluster, ct, args.ClusterPasswordFile, args.ClusterWait, args.ResponseTimeout, args.GatewayListRefreshPeriod)).Client;
            if (args.Dashboard is { } port)
            {
                dashboard = await Api.LiveDashboard.StartAsync(grains, port, ct);
                console.WriteLine($"live: {dashboard.PageUrl(runId)}");
            }
            else if (args.Grains is null && !string.IsNullOrEmpty(args.Cluster))
                console.WriteLine($"live: {Api.LivePages.Prefix}/{runId} on any silo's HTTP port");
            var live = new Api.LivePublisher(grains, scenario, runId, seed, targets, TimeProvider.System);
            using var probe = new TargetProbe(targets[0]);
            var statsBefore = await probe.ReadAsync(collectGarbage: true, ct);

            await using var sampler = new ToolSampler(TimeProvider.System, Environment.GetEnvironmentVariable("SIMCLUSTER_LIVE_HEAP_PROBE") == "1"
                ? scenario.Duration * 0.7 : null);
            var plan = PlanBuilder.Build(scenario, runId, seed, targets) with { Auth = auth.Plan };
            var view = args.View ?? (args.NoLive || Console.IsOutputRedirected || !console.Profile.Capabilities.Interactive
                ? (IProgressView)new PlainProgressView(Console.Out, scenario.Duration.TotalSeconds)
                : new LiveProgressView(console, scenario.Name, scenario.Duration.TotalSeconds, scenario.RampUp.TotalSeconds, ScenarioFeatures.Of(scenario), scenario.Clients));
            var driver = new RunDriver(grains, scenario, plan, TimeProvider.System);
            RunOutcome outcome = null!;
            await view.RunAsync(async show => outcome = await driver.RunAsync(p => { show(p); live.OnProgress(p); return Task.CompletedTask; }, ct));
            if (outcome.Failure is not null)
                stderr.WriteLine($"error: the run could not be finished: {Secrets.RedactMessage(null, outcome.Failure)}");
            if (outcome.Result is null)
                return ExitCodes.CouldNotRun;
            var statsAfter = statsBefore is null ? null : await probe.ReadSettledAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            // Whatever the target's /stats said, the clients' numbers are reported; a bad answer is only a note.
            var result = probe.Problems.Count == 0 ? outcome.Result : outcome.Result with { Notes = [.. outcome.Result.Notes, .. probe.Problems] };
            // An interrupted run still stops its clients, collects their numbers and writes every report file,
            // marked partial (exit 105), so a Ctrl-C or a pod eviction never loses what was measured.
            var report = Report.Create(scenario, seed, targets, result, statsBefore, statsAfter,
                    outcome.Failure is not null ? outcome.Failure
                    : outcome.Interrupted ? $"interrupted by {signal ?? "a stop request"} after {(result.EndedAtUtc - result.StartedAtUtc).TotalSeconds:0} s" : null);
            report = report with
            {
                Tool = await sampler.FinishAsync(embeddedSilo: string.IsNullOrEmpty(args.Cluster) && args.Grains is null),
                // A threshold abort ends the run early on purpose: a failed run, not a partial one.
                PartialReason = outcome.AbortedByThreshold is not null && !outcome.Interrupted && result.Silos.All(s => !s.Lost) ? null : report.PartialReason,
                AbortedByThreshold = outcome.AbortedByThreshold,
            };
            report = report with { ScenarioSource = ScenarioSource.Read(args.ScenarioPath, Overrides(args)) };
            await report.WriteAsync(outDir);
            await live.PublishFinalAsync(report.ToJson());
            SummaryPrinter.Print(console, report, outDir);
            await ReportFiles.WriteAsync(outDir, report.ToJson(), args.Output ?? Console.Out, stderr);
            return report.Partial || report.ToolLimitedFailure ? ExitCodes.CouldNotRun : report.Passed ? ExitCodes.Passed : ExitCodes.ThresholdFailed;
        }
        catch (Exception e) when (e is InvalidOperationException or OrleansException or TimeoutException or IOException or ArgumentException)
        {
            stderr.WriteLine($"error: the run could not be carried out: {Secrets.RedactMessage(null, e is ClusterUnreachableException ? e.Message : e.GetBaseException().Message)}");
            return ExitCodes.CouldNotRun;
        }
        finally
        {
            if (dashboard is not null) await dashboard.DisposeAsync();
            if (cluster is not null) await cluster.DisposeAsync();
            if (embedded is not null) await embedded.DisposeAsync();
        }
    }

    public static string NewRunId(string scenarioName) => $"{scenarioName}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Command-line shortcuts are applied as overrides, after the <c>--set</c> ones, labelled with their own option.</summary>
    internal static List<ScenarioOverride> LabelledOverrides(RunArguments args)
    {
        var overrides = new List<ScenarioOverride>(ScenarioOverride.Sets(args.Sets));
        if (args.Target is not null) overrides.Add(ScenarioOverride.Shortcut("target", args.Target));
        if (args.Clients is not null) overrides.Add(ScenarioOverride.Shortcut("clients", args.Clients));
        if (args.Duration is not null) overrides.Add(ScenarioOverride.Shortcut("duration", args.Duration));
        return overrides;
    }

    /// <summary>The overrides as <c>KEY=VALUE</c> texts, as the report and the control API take them.</summary>
    internal static List<string> Overrides(RunArguments args) => [.. LabelledOverrides(args).Select(o => o.Text)];

    /// <summary>Valid scenario parts this build cannot run yet: refused up front rather than half-run.</summary>
    private static List<string> Unsupported(Scenario scenario)
    {
        var errors = new List<string>();
        foreach (var group in scenario.Population.Where(g => !BehaviorRegistry.Names.Contains(g.Behavior)))
            errors.Add($"population.{group.Name}.behavior: '{group.Behavior}' is not yet available in this build (available: {string.Join(", ", BehaviorRegistry.Names)})");
        // Client PINGs are written under the WebSocket on the raw socket; under TLS they would corrupt the stream.
        if (scenario.Heartbeat.Interval > TimeSpan.Zero && scenario.Target.Urls.FirstOrDefault(u => u.Scheme == "wss") is { } tls)
            errors.Add($"heartbeat.interval: client PINGs over wss:// are not available in this build (target {tls.GetLeftPart(UriPartial.Path)}); use a ws:// target or heartbeat.interval: 0s");
        return errors;
    }
}
