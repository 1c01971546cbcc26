using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Auth;

/// <summary>
/// scenarios/token-refresh.yaml, shrunk (20-30 clients, short tokens, 15-20 s), against the embedded reference
/// target, once per refresh mode and failure injection. Each test checks that the report shows what happened,
/// against the target's own counts where it has them.
/// </summary>
[Collection(TokenRunsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TokenRefreshRunTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("tokens");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private async Task<(JsonObject Report, ProcessResult Run, string Dir)> Run(string name, int clients, string duration, params string[] sets)
    {
        var dir = Path.Combine(_temp, name);
        var args = new List<string> { "run", "scenarios/token-refresh.yaml", "--clients", clients.ToString(), "--duration", duration, "--no-live", "--out", dir,
            "--set", "rampUp=1s", "--set", "thresholds.token_refreshes=[\"count>=0\"]",
            // Timing is measured, not judged here: a busy 2-core machine must not fail these tests.
            "--set", "thresholds.token_refresh_time=[\"avg<10000\"]" };
        foreach (var set in sets) args.AddRange(["--set", set]);
        var run = await Simcluster.RunAsync([.. args]);
        Assert.True(File.Exists(Path.Combine(dir, "report.json")), run.ToString());
        return (JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!.AsObject(), run, dir);
    }

    private static long Count(JsonObject report, string metric) => (long)report["metrics"]![metric]!["value"]!;
    private static double Trend(JsonObject report, string metric, string field) => (double)report["metrics"]![metric]![field]!;
    private static long Server(JsonObject report, string key) => (long)report["targetStats"]!["after"]!["auth"]![key]!;
    private static long CloseCode(JsonObject report, string code) => (long?)report["closeCodes"]?[code] ?? 0;
    private static long ConnectError(JsonObject report, string label) => (long?)report["connectErrors"]?[label] ?? 0;

    [Fact]
    public async Task In_band_refresh_against_the_reference_target_refreshes_every_token_without_disruption()
    {
        var (report, run, _) = await Run("in-band", 20, "18s", "auth.jwt.lifetime=8s", "auth.refresh.before=4s");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(Count(report, "token_refreshes") >= 20 * 3, run.ToString());
        Assert.Equal(Server(report, "refreshes"), Count(report, "token_refreshes"));
        Assert.Equal(Count(report, "token_refreshes"), (long)Trend(report, "token_refresh_time", "count"));
        Assert.Equal(0, Count(report, "token_refresh_failures"));
        Assert.Equal(0, Count(report, "expired_closes"));
        Assert.Equal(0, Count(report, "disconnects"));
        Assert.Equal(0, Count(report, "messages_lost"));
        Assert.Contains("refreshed in band", run.Stdout);
    }

    [Fact]
    public async Task Reconnect_refresh_with_rs256_tokens_in_the_header_opens_a_new_connection_per_refresh_and_loses_nothing()
    {
        var (report, run, _) = await Run("reconnect-rs256", 20, "15s", "auth.jwt.lifetime=6s", "auth.refresh.before=3s",
            "auth.jwt.algorithm=RS256", "auth.send=header", "auth.refresh.mode=reconnect");
        Assert.True(run.ExitCode == 0, run.ToString());
        var refreshes = Count(report, "token_refreshes");
        Assert.True(refreshes >= 20 * 2, run.ToString());
        Assert.InRange(Count(report, "connects"), 20 + refreshes, 20 + refreshes + 20); // + a handover cut by the end of the run
        Assert.Equal(0, Server(report, "rejectedHandshakes"));
        Assert.Equal(0, Count(report, "expired_closes"));
        Assert.Equal(0, Count(report, "messages_lost"));
        Assert.Contains("refreshed by reconnect", run.Stdout);
    }

    [Fact]
    public async Task With_refresh_off_the_server_closes_every_session_at_expiry_plus_its_skew()
    {
        var (report, run, _) = await Run("none", 20, "16s", "auth.jwt.lifetime=4s", "auth.refresh.mode=none", "embeddedTarget.authClockSkew=1s");
        Assert.Equal(99, run.ExitCode);
        var closes = Count(report, "expired_closes");
        Assert.True(closes >= 20 * 2, run.ToString());
        Assert.Equal(closes, CloseCode(report, "4001"));
        Assert.Equal(closes, Count(report, "disconnects"));
        Assert.InRange(closes, Server(report, "expiredCloses") - 20, Server(report, "expiredCloses"));
        Assert.Equal(0, Count(report, "expired_closes_early"));
        Assert.Equal(0, Count(report, "false_disconnects")); // the server was right to close
        // Every connection outlived its token by the server's skew: never less, and not much more.
        Assert.True(Trend(report, "token_overstay", "min") >= 900, run.ToString());
        Assert.True(Trend(report, "token_overstay", "med") < 3000, run.ToString());
    }

    [Fact]
    public async Task Against_a_server_that_does_not_enforce_expiry_the_overstay_is_reported_and_a_threshold_fails()
    {
        var (report, run, _) = await Run("no-enforcement", 20, "14s", "auth.jwt.lifetime=3s", "auth.refresh.mode=none",
            "embeddedTarget.authEnforceExpiry=false", "thresholds.token_overstay=[\"max<2000\"]");
        Assert.Equal(99, run.ExitCode);
        Assert.Equal(0, Count(report, "expired_closes"));
        Assert.Equal(0, Count(report, "disconnects"));
        Assert.Equal(20, Count(report, "tokens_outlived")); // each connection, measured when the run ended
        Assert.True(Trend(report, "token_overstay", "max") > 5000, run.ToString());
        var failed = report["thresholds"]!.AsArray().Single(t => (string)t!["metric"]! == "token_overstay");
        Assert.False((bool)failed!["passed"]!);
        Assert.Contains("connections outlived their token", run.Stdout);
    }

    [Fact]
    public async Task A_refresh_sent_after_the_servers_grace_is_too_late_and_the_server_closes_first()
    {
        var (report, run, _) = await Run("late", 20, "15s", "auth.jwt.lifetime=4s", "auth.refresh.late=3s", "embeddedTarget.authClockSkew=1s");
        Assert.Equal(99, run.ExitCode);
        Assert.Equal(0, Count(report, "token_refreshes"));
        Assert.True(Count(report, "expired_closes") >= 20, run.ToString());
        // The target may close a few more near the end of the run than clients see (they are stopping by then).
        Assert.InRange(Count(report, "expired_closes"), Server(report, "expiredCloses") - 20, Server(report, "expiredCloses"));
    }

    [Fact]
    public async Task A_refresh_after_exp_but_within_the_servers_grace_is_taken_and_the_overstay_shows_it()
    {
        var (report, run, _) = await Run("late-within-skew", 20, "15s", "auth.jwt.lifetime=4s", "auth.refresh.late=500ms", "embeddedTarget.authClockSkew=3s");
        Assert.True(Count(report, "token_refreshes") >= 20, run.ToString());
        Assert.Equal(0, Count(report, "expired_closes"));
        // Each late refresh outlived its token; so may, once, a client whose token expired just before the end.
        Assert.InRange(Count(report, "tokens_outlived"), Count(report, "token_refreshes"), Count(report, "token_refreshes") + 20);
        // The late refreshes overstay by about 500 ms; a token that expired just before the stop overstays only
        // until the connection closed at the end, so the median, not the minimum, shows the late refresh.
        Assert.True(Trend(report, "token_overstay", "med") >= 400, run.ToString());
    }

    [Fact]
    public async Task Tokens_with_a_bad_signature_are_refused_at_the_upgrade_and_counted_as_auth_rejections()
    {
        var (report, run, _) = await Run("bad-signature", 10, "8s", "auth.jwt.badSignature=100%");
        Assert.Equal(99, run.ExitCode);
        Assert.Equal(0, Count(report, "connects"));
        Assert.True(Count(report, "auth_rejections") >= 10, run.ToString());
        Assert.Equal(Count(report, "connect_failures"), Count(report, "auth_rejections"));
        Assert.Equal(Count(report, "auth_rejections"), ConnectError(report, "http-401"));
        // The server may have refused a last handshake whose 401 the client, stopped by the run's end, never
        // read: at most one per client (10) more on the server's side, never fewer.
        Assert.InRange(Server(report, "rejectedHandshakes"), Count(report, "auth_rejections"), Count(report, "auth_rejections") + 10);
    }

    [Fact]
    public async Task A_client_clock_behind_the_server_gets_sessions_closed_before_it_thinks_they_expire()
    {
        // Clock 4 s behind: tokens expire 4 s earlier than the client believes; it refreshes 2 s "before" = 2 s too late.
        var (report, run, _) = await Run("clock-behind", 20, "15s", "auth.jwt.lifetime=8s", "auth.refresh.before=2s", "auth.jwt.clockBehind=4s");
        Assert.Equal(99, run.ExitCode);
        var closes = Count(report, "expired_closes");
        Assert.True(closes >= 20, run.ToString());
        Assert.Equal(closes, Count(report, "expired_closes_early"));
        Assert.Equal(closes, Count(report, "false_disconnects"));
    }

    [Fact]
    public async Task Aligned_expiry_makes_every_client_refresh_at_once_and_each_refresh_is_counted()
    {
        var (report, run, _) = await Run("aligned", 30, "16s", "auth.jwt.lifetime=6s", "auth.refresh.before=3s", "auth.jwt.alignExpiry=true");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(Count(report, "token_refreshes") >= 30 * 2, run.ToString());
        Assert.Equal(Server(report, "refreshes"), Count(report, "token_refreshes"));
        Assert.Equal(0, Count(report, "token_refresh_failures"));
        Assert.Equal(0, Count(report, "expired_closes"));
    }

    [Fact]
    public async Task Replaying_the_old_token_after_a_refresh_is_rejected_by_the_reference_target()
    {
        var (report, run, _) = await Run("replay", 20, "14s", "auth.jwt.lifetime=6s", "auth.refresh.before=3s", "auth.refresh.replayOld=true",
            "thresholds.auth_rejections=[\"count>=0\"]");
        Assert.True(run.ExitCode == 0, run.ToString());
        var refreshes = Count(report, "token_refreshes");
        Assert.True(refreshes >= 20, run.ToString());
        Assert.Equal(0, Count(report, "token_replays_accepted"));
        Assert.Equal(refreshes, Count(report, "auth_rejections"));
        Assert.Equal(Count(report, "auth_rejections"), Server(report, "refreshesRejected"));
    }
}
