using System.Diagnostics;
using System.Text.Json.Nodes;
using SimCluster.Tests.Support;
using Xunit.Abstractions;

namespace SimCluster.Tests.Hostile;

/// <summary>
/// Runs only where a network namespace can be made (<c>unshare -n -m</c>: root, or user namespaces), and says
/// why it skipped otherwise.
/// </summary>
public sealed class NamespaceFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", ["-n", "-m", "true"]) { RedirectStandardError = true, UseShellExecute = false })!;
            var error = probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            return probe.ExitCode == 0 ? null : $"network namespaces are not available here (`unshare -n -m true` exited {probe.ExitCode}: {error.Trim()}); these tests need root or user namespaces";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"network namespaces are not available here (no unshare: {e.Message})";
        }
    });

    public NamespaceFactAttribute()
    {
        if (Unavailable.Value is { } why) Skip = why;
    }
}

/// <summary>
/// Issue 23, off loopback: every address test runs the real CLI inside a network namespace that has only
/// loopback, with 10.0.0.1 added to lo and a listener there (tests/Hostile/egress-peer.js) that must see
/// nothing. The loopback server beside it answers every HTTP request (the /stats probe, the token endpoint,
/// the control API) with a redirect to 10.0.0.1; in two tests the namespace's own /etc/hosts maps localhost
/// to 10.0.0.1. Whatever happens, no byte may reach 10.0.0.1, and the refusal is reported.
/// </summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class EgressNamespaceTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("egress");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private sealed record Outcome(int CliExit, long Strays, string Log, JsonObject? Report)
    {
        public override string ToString() => $"cli exit {CliExit}, {Strays} stray connection(s) to 10.0.0.1\n{Log}";
    }

    /// <summary>
    /// In a fresh namespace: loopback up, 10.0.0.1 on lo, optionally /etc/hosts replaced, the egress peer started,
    /// then `./simcluster ARGS` run to its end; returns the CLI's exit code and what the 10.0.0.1 listener saw.
    /// </summary>
    private async Task<Outcome> RunInNamespaceAsync(string? hosts, int loopbackPort, int strayPort, params string[] args)
    {
        await Simcluster.EnsureBuiltAsync(); // built outside, where the network is
        var peer = Path.Combine(Simcluster.RepoRoot, "tests", "Hostile", "egress-peer.js");
        var hostsFile = Path.Combine(_temp, "etc-hosts");
        if (hosts is not null) await File.WriteAllTextAsync(hostsFile, hosts);
        var script = $$"""
            set -u
            ip link set lo up
            ip addr add 10.0.0.1/32 dev lo
            {{(hosts is null ? "" : $"mount --bind '{hostsFile}' /etc/hosts")}}
            node '{{peer}}' {{loopbackPort}} {{strayPort}} > '{{_temp}}/peer.log' 2>&1 &
            peer=$!
            for i in $(seq 200); do grep -q '^ready' '{{_temp}}/peer.log' && break; sleep 0.05; done
            "$@"
            code=$?
            kill -TERM $peer; wait $peer
            echo "cli-exit $code"
            echo "--- peer"
            cat '{{_temp}}/peer.log'
            """;
        var info = ChildProcess.StartInfo("unshare", ["-n", "-m", "bash", "-c", script, "egress", Path.Combine(Simcluster.RepoRoot, "simcluster"), .. args], Simcluster.RepoRoot);
        var result = await ChildProcess.RunAsync(info, TimeSpan.FromMinutes(3));
        output.WriteLine(result.ToString());
        var lines = result.Stdout.Split('\n').Select(l => l.Trim()).ToList();
        var exitLine = lines.LastOrDefault(l => l.StartsWith("cli-exit ", StringComparison.Ordinal));
        Assert.True(exitLine is not null, $"the namespace script did not finish:\n{result}");
        var straysLine = lines.LastOrDefault(l => l.StartsWith("strays ", StringComparison.Ordinal));
        Assert.True(straysLine is not null, $"the 10.0.0.1 listener did not report (did it start?):\n{result}");
        var outIndex = Array.IndexOf(args, "--out");
        var reportPath = outIndex >= 0 ? Path.Combine(args[outIndex + 1], "report.json") : null;
        var report = reportPath is not null && File.Exists(reportPath) ? JsonNode.Parse(await File.ReadAllTextAsync(reportPath))!.AsObject() : null;
        return new Outcome(int.Parse(exitLine!["cli-exit ".Length..], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(straysLine!["strays ".Length..], System.Globalization.CultureInfo.InvariantCulture), result.ToString(), report);
    }

    private async Task<string> ScenarioAsync(string name, string body)
    {
        var path = Path.Combine(_temp, $"{name}.yaml");
        await File.WriteAllTextAsync(path, $"name: {name}\nclients: 2\nduration: 2s\nseed: 23\nmessages: {{ interval: 500ms }}\n{body}\n");
        return path;
    }

    private static string Notes(JsonObject report) => report["notes"]?.ToJsonString() ?? "";

    [NamespaceFact]
    public async Task The_stats_probe_never_follows_a_redirect_off_loopback_and_notes_it()
    {
        var (port, stray) = (23_101, 23_102);
        var scenario = await ScenarioAsync("egress-stats", $"target: ws://127.0.0.1:{port}/ws");
        var outDir = Path.Combine(_temp, "stats");

        var outcome = await RunInNamespaceAsync(null, port, stray, "run", scenario, "--no-live", "--out", outDir);

        Assert.True(outcome.Strays == 0, outcome.ToString());
        Assert.True(outcome.CliExit is 0 or 99, outcome.ToString()); // completed: the upgrade redirect fails the clients' connects
        Assert.NotNull(outcome.Report);
        Assert.Contains("answered HTTP 302 (a redirect, not followed)", Notes(outcome.Report!));
    }

    [NamespaceFact]
    public async Task A_token_endpoint_redirect_is_not_followed_and_the_credentials_stay_on_loopback()
    {
        var (port, stray) = (23_111, 23_112);
        var scenario = await ScenarioAsync("egress-token", $"target: ws://127.0.0.1:{port}/ws\nauth: {{ tokenUrl: http://127.0.0.1:{port}/token, refresh: {{ mode: none }} }}");
        var outDir = Path.Combine(_temp, "token");

        var outcome = await RunInNamespaceAsync(null, port, stray, "run", scenario, "--no-live", "--out", outDir);

        Assert.True(outcome.Strays == 0, outcome.ToString());
        Assert.NotNull(outcome.Report);
        var errors = outcome.Report!["metrics"]?["connectErrors"]?.ToJsonString() ?? outcome.Report.ToJsonString();
        Assert.True(outcome.Report.ToJsonString().Contains("token-endpoint", StringComparison.Ordinal), errors);
    }

    [NamespaceFact]
    public async Task Localhost_mapped_off_loopback_by_the_hosts_file_is_refused_for_websockets_tokens_and_stats()
    {
        var (port, stray) = (23_121, 23_122);
        // Everything names localhost on the stray listener's port: only the hosts file points it at 10.0.0.1.
        var scenario = await ScenarioAsync("egress-hosts", $"target: ws://localhost:{stray}/ws\nauth: {{ tokenUrl: http://localhost:{stray}/token, refresh: {{ mode: none }} }}");
        var outDir = Path.Combine(_temp, "hosts-report");

        var outcome = await RunInNamespaceAsync("10.0.0.1 localhost\n", port, stray, "run", scenario, "--no-live", "--out", outDir);

        // The target pre-check goes through the egress rule first: refused, the run ends before any token or stats call.
        Assert.True(outcome.Strays == 0, outcome.ToString());
        Assert.True(outcome.CliExit == 105, outcome.ToString());
        Assert.Null(outcome.Report);
        Assert.Contains($"the target ws://localhost:{stray}/ws is unreachable: refused to connect to localhost", outcome.Log);
    }

    [NamespaceFact]
    public async Task Websocket_connects_to_localhost_mapped_off_loopback_are_refused_and_counted()
    {
        var (port, stray) = (23_131, 23_132);
        var scenario = await ScenarioAsync("egress-ws", $"target: ws://localhost:{stray}/ws");
        var outDir = Path.Combine(_temp, "ws");

        var outcome = await RunInNamespaceAsync("10.0.0.1 localhost\n", port, stray, "run", scenario, "--no-live", "--out", outDir);

        Assert.True(outcome.Strays == 0, outcome.ToString());
        Assert.True(outcome.CliExit == 105, outcome.ToString());
        Assert.Null(outcome.Report);
        Assert.Contains($"the target ws://localhost:{stray}/ws is unreachable: refused to connect to localhost", outcome.Log);
    }

    [NamespaceFact]
    public async Task Run_api_follows_no_redirect_and_refuses_localhost_mapped_off_loopback()
    {
        var (port, stray) = (23_141, 23_142);
        var scenario = await ScenarioAsync("egress-api", "target: embedded");

        var redirected = await RunInNamespaceAsync(null, port, stray, "run", scenario, "--no-live", "--api", $"http://127.0.0.1:{port}", "--out", Path.Combine(_temp, "api1"));
        Assert.True(redirected.Strays == 0, redirected.ToString());
        Assert.True(redirected.CliExit == 105, redirected.ToString());
        Assert.Contains("refused the run (307)", redirected.Log);

        var mapped = await RunInNamespaceAsync("10.0.0.1 localhost\n", port, stray, "run", scenario, "--no-live", "--api", $"http://localhost:{stray}", "--out", Path.Combine(_temp, "api2"));
        Assert.True(mapped.Strays == 0, mapped.ToString());
        Assert.True(mapped.CliExit == 105, mapped.ToString());
        Assert.Contains("was not contacted: refused to connect to localhost", mapped.Log);
    }
}
