using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using SimCluster.Transport.Malformed;

namespace SimCluster.Cli.Reports;

/// <summary>
/// report.html: one self-contained page rendered from report.json alone (so <c>./simcluster report DIR</c>
/// can re-render it). Tables and text are written here, HTML-encoded; the charts are drawn in the browser
/// by the bundled Chart.js from the same report.json, embedded as a JSON data block. Nothing is fetched:
/// the page's Content-Security-Policy allows no network and only its own two scripts (by hash).
/// </summary>
public static class HtmlReport
{
    private const string AssetPrefix = "SimCluster.Cli.Reports.assets.";

    /// <summary>The per-group columns: the headline metric of each concern.</summary>
    private static readonly (string Header, string Metric, string Field)[] GroupColumns =
    [
        ("connects", "connects", "value"),
        ("connect failures", "connect_failures", "value"),
        ("disconnects", "disconnects", "value"),
        ("forced drops", "forced_drops", "value"),
        ("reconnect p95 ms", "reconnect_time", "p95"),
        ("RTT p95 ms", "message_rtt", "p95"),
        ("sent", "messages_sent", "value"),
        ("received", "messages_received", "value"),
        ("lost", "messages_lost", "value"),
        ("false disconnects", "false_disconnects", "value"),
    ];

    private static readonly Dictionary<string, string> CloseCodeNames = new()
    {
        ["1000"] = "normal closure",
        ["1001"] = "going away",
        ["1002"] = "protocol error",
        ["1003"] = "unsupported data",
        ["1005"] = "no status code",
        ["1006"] = "abnormal closure (no close frame)",
        ["1007"] = "invalid payload data",
        ["1008"] = "policy violation",
        ["1009"] = "message too big",
        ["1010"] = "mandatory extension",
        ["1011"] = "internal server error",
        ["1012"] = "service restart",
        ["1013"] = "try again later",
        ["1014"] = "bad gateway",
        ["1015"] = "TLS handshake failure",
        ["4001"] = "token expired (session protocol)",
    };

    public static string Render(JsonObject report, JsonObject? comparison = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var chartLibrary = ScriptText(Asset("chart.umd.min.js"));
        var pageScript = ScriptText(Asset("report.js"));
        var style = Asset("report.css");

        var h = new StringBuilder(capacity: 300_000);
        h.Append("<!DOCTYPE html>\n<html lang=\"en\" data-ready=\"false\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src ")
            .Append(Hash(chartLibrary)).Append(' ').Append(Hash(pageScript)).Append("\">\n");
        h.Append("<meta name=\"generator\" content=\"simcluster ").Append(E(Version())).Append("\">\n");
        h.Append("<title>").Append(E(Title(report))).Append("</title>\n");
        h.Append("<style>\n").Append(style).Append("\n</style>\n</head>\n<body>\n");
        h.Append(Body(report, comparison));
        h.Append("<script id=\"report-data\" type=\"application/json\">").Append(DataBlock(report)).Append("</script>\n");
        if (comparison is not null) h.Append("<script id=\"comparison-data\" type=\"application/json\">").Append(DataBlock(comparison)).Append("</script>\n");
        h.Append("<script>").Append(chartLibrary).Append("</script>\n");
        h.Append("<script>").Append(pageScript).Append("</script>\n");
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    internal static string Title(JsonObject report) =>
        $"{Str(report["scenario"]) ?? "scenario"}: {(Str(report["verdict"]) ?? "unknown").ToUpperInvariant()} - SimCluster report";

    /// <summary>
    /// The page's visible part (header, navigation, sections), shared by report.html and the live run page, which
    /// replaces it every second. Only sections with something to show are written, and the navigation lists those.
    /// </summary>
    public static string Body(JsonObject report, JsonObject? comparison = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var name = Str(report["scenario"]) ?? "scenario";
        var verdict = (Str(report["verdict"]) ?? "unknown").ToLowerInvariant();
        var sections = new List<(string Id, string Title, string Html)>();
        void Add(string id, string title, Action<StringBuilder, JsonObject> write)
        {
            var section = new StringBuilder();
            write(section, report);
            if (section.Length > 0) sections.Add((id, title, section.ToString()));
        }
        if (comparison is not null) Add("baseline", "Baseline", (b, _) => ComparisonSection.Write(b, comparison));
        Add("thresholds", "Thresholds", Thresholds);
        Add("trends", "Timings", Trends);
        Add("timeline", "Over time", Timeline);
        Add("breakdowns", "Closes and errors", Breakdowns);
        Add("causes", "Disconnect causes", DisconnectCauses);
        Add("client-timelines", "Client timelines", ClientTimelines);
        Add("groups", "Groups", Groups);
        Add("metrics", "All metrics", Metrics);
        Add("cases", "Malformed cases", Cases);
        Add("collateral", "Collateral damage", Collateral);
        Add("run", "Run", RunDetails);
        Add("scenario", "Scenario", Scenario);

        var h = new StringBuilder(capacity: 200_000);
        Header(h, report, name, verdict);
        h.Append("<nav>");
        foreach (var (id, title, _) in sections) h.Append("<a href=\"#").Append(id).Append("\">").Append(E(title)).Append("</a>");
        h.Append("</nav>\n<main>\n");
        foreach (var (_, _, html) in sections) h.Append(html);
        h.Append("</main>\n<footer>SimCluster ").Append(E(Version())).Append(" · ").Append(E(Str(report["schema"]) ?? "")).Append(" · charts by Chart.js (MIT)</footer>\n");
        return h.ToString();
    }

    private static void Header(StringBuilder h, JsonObject r, string name, string verdict)
    {
        h.Append("<header class=\"verdict-").Append(E(verdict)).Append("\">\n<h1><span class=\"badge\">").Append(E(verdict.ToUpperInvariant()))
            .Append("</span> ").Append(E(name)).Append("</h1>\n<dl class=\"facts\">");
        var clients = r["clients"] as JsonObject;
        Fact(h, "started", DateTimeOffset.TryParse(Str(r["startedAt"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started)
            ? started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)
            : Str(r["startedAt"]));
        Fact(h, "duration", r["durationSeconds"] is { } d ? $"{Num(d)} s" : null);
        Fact(h, "clients", clients is null ? null : $"{Num(clients["started"])} of {Num(clients["planned"])} started");
        Fact(h, "target", r["target"] is JsonArray targets ? string.Join(", ", targets.Select(Str)) : Str(r["target"]));
        Fact(h, "seed", r["seed"]?.ToString());
        Fact(h, "run", Str(r["runId"]));
        h.Append("</dl>\n");
        if ((r["thresholds"] as JsonArray ?? []).Count == 0)
            h.Append("<p class=\"note\">No thresholds in this scenario: the verdict only says whether the run completed.</p>\n");
        if (r["partial"]?.GetValueKind() == JsonValueKind.True || verdict == "partial")
            h.Append("<p class=\"warning\">The run did not complete (").Append(E(Str(r["partialReason"]) ?? "interrupted or aborted"))
                .Append("): the numbers cover only what happened before it stopped.</p>\n");
        if (r["noConnectionOpened"]?.GetValueKind() == JsonValueKind.True)
            h.Append("<p class=\"warning\">No connection ever opened: nothing about the server was measured, so the run fails.</p>\n");
        if (r["toolLimited"] is JsonObject tool && tool["limited"]?.GetValueKind() == JsonValueKind.True)
        {
            h.Append("<p class=\"warning tool-limited\">Tool-limited: the tool itself was the bottleneck (")
                .Append(E(string.Join("; ", (tool["reasons"] as JsonArray ?? []).Select(Str))))
                .Append("). Timings include the tool's own delay; their thresholds are marked tool-limited, not blamed on the server.</p>\n");
        }
        h.Append("</header>\n");
    }

    private static void Fact(StringBuilder h, string label, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        h.Append("<div><dt>").Append(E(label)).Append("</dt><dd>").Append(E(value)).Append("</dd></div>");
    }

    private static void Thresholds(StringBuilder h, JsonObject r)
    {
        var thresholds = (r["thresholds"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var passed = thresholds.Count(t => t["passed"]?.GetValueKind() == JsonValueKind.True);
        if (thresholds.Count == 0) return;
        h.Append("<section id=\"thresholds\">\n<h2>Thresholds</h2>\n");
        h.Append("<p class=\"summary\">").Append(passed).Append(" of ").Append(thresholds.Count).Append(" passed").Append("</p>\n");
        h.Append("<table class=\"thresholds\"><thead><tr><th></th><th>metric</th><th>expression</th><th class=\"num\">actual</th><th>note</th></tr></thead><tbody>\n");
        foreach (var t in thresholds)
        {
            var ok = t["passed"]?.GetValueKind() == JsonValueKind.True;
            h.Append("<tr class=\"").Append(ok ? "pass" : "fail").Append("\"><td class=\"mark\">").Append(ok ? "✓" : "✗").Append("</td><td><code>")
                .Append(E(Str(t["metric"]))).Append("</code></td><td><code>").Append(E(Str(t["expression"]))).Append("</code></td><td class=\"num\">")
                .Append(E(t["actual"] is { } a ? Num(a) : "no value")).Append("</td><td>").Append(E(Str(t["note"])))
                .Append(t["toolLimited"]?.GetValueKind() == JsonValueKind.True ? " <span class=\"chip soft\">tool-limited</span>" : "").Append("</td></tr>\n");
        }
        h.Append("</tbody></table>\n</section>\n");
    }

    /// <summary>
    /// Every trend that has samples (those a threshold grades first): its distribution from the merged histogram
    /// and its p50/p95/p99 per second, both drawn by the page script from <c>distributions</c> and <c>timeline[].trends</c>.
    /// </summary>
    private static void Trends(StringBuilder h, JsonObject r)
    {
        var distributions = r["distributions"] as JsonObject ?? [];
        if (distributions.Count == 0) return;
        var thresholds = (r["thresholds"] as JsonArray ?? []).OfType<JsonObject>().Select(t => (Trend: TrendOf(Str(t["metric"])), T: t)).ToList();
        var order = thresholds.Select(t => t.Trend).Concat((r["metrics"] as JsonObject ?? []).Select(m => m.Key))
            .Concat(distributions.Select(d => d.Key)).Where(distributions.ContainsKey).Distinct().ToList();
        var perSecond = (r["timeline"] as JsonArray ?? []).OfType<JsonObject>().SelectMany(p => (p["trends"] as JsonObject ?? []).Select(t => t.Key)).ToHashSet();
        h.Append("<section id=\"trends\">\n<h2>Timings</h2>\n<p class=\"summary\">Each timing the run measured: how its samples are distributed (from the ")
            .Append("histogram merged over every silo, the one thresholds are graded on) and its p50, p95 and p99 second by second. Graded ones first.</p>\n");
        foreach (var trend in order)
        {
            var m = r["metrics"]?[trend] as JsonObject ?? [];
            var graded = thresholds.Where(t => t.Trend == trend).ToList();
            h.Append("<div class=\"trend\" id=\"trend-").Append(E(trend)).Append("\"><h3><code>").Append(E(trend)).Append("</code>");
            if (graded.Count > 0) h.Append(" <span class=\"chip soft\">graded</span>");
            h.Append("</h3>\n<p class=\"summary\">").Append(E(Num(m["count"]))).Append(" samples · med ").Append(E(Num(m["med"]))).Append(" · p95 ").Append(E(Num(m["p95"])))
                .Append(" · p99 ").Append(E(Num(m["p99"]))).Append(" · max ").Append(E(Num(m["max"]))).Append(" ms");
            foreach (var (_, t) in graded)
            {
                var ok = t["passed"]?.GetValueKind() == JsonValueKind.True;
                h.Append(" · <span class=\"chip ").Append(ok ? "ok" : "bad").Append("\">").Append(ok ? "✓ " : "✗ ").Append("<code>").Append(E(Str(t["metric"]))).Append(' ')
                    .Append(E(Str(t["expression"]))).Append("</code> actual ").Append(E(t["actual"] is { } a ? Num(a) : "no value")).Append("</span>");
            }
            h.Append("</p>\n<div class=\"charts\">\n");
            Chart(h, $"dist-{trend}", "Distribution", "samples per millisecond bucket (1-2-5 steps), whole run");
            if (perSecond.Contains(trend))
                Chart(h, $"pct-{trend}", "p50, p95 and p99 per second", "over the samples of each second; dashed: a threshold on it");
            else
                h.Append("<p class=\"note\">All of its samples came in the run's last collection, after the clients stopped: there is no per-second series.</p>\n");
            h.Append("</div></div>\n");
        }
        h.Append("</section>\n");
    }

    /// <summary><c>reconnect_time{group:flappers}</c> → <c>reconnect_time</c>.</summary>
    internal static string TrendOf(string? metric) => metric is null ? "" : metric.IndexOf('{') is var i and >= 0 ? metric[..i] : metric;

    private static void Timeline(StringBuilder h, JsonObject r)
    {
        if (r["timeline"] is not JsonArray { Count: > 0 }) return;
        h.Append("<section id=\"timeline\">\n<h2>Over time</h2>\n");
        h.Append("<div class=\"charts\">\n");
        Chart(h, "open", "Open connections", "connections open at the end of each second");
        Chart(h, "churn", "Connects, drops and connect failures per second", "disconnects include forced drops");
        Chart(h, "rtt", "Message RTT p95 (ms)", "per second; dashed: the whole run's median and p99");
        Chart(h, "messages", "Messages per second", "lost: echo not back within lossTimeout although the connection stayed open");
        // Series that only some runs have: drawn when the run had any.
        if (AnyNonZero(r, "zombiesEvicted"))
            Chart(h, "zombies", "Zombies evicted per second", "the server gave up on a zombie (Close, FIN or RST); undetected ones are in zombies_undetected");
        if (AnyNonZero(r, "tokenRefreshes") || AnyNonZero(r, "tokenRefreshFailures"))
            Chart(h, "tokens", "Token refreshes per second", "refreshed and failed refreshes");
        h.Append("</div>\n<div class=\"charts\" id=\"extra-charts\"></div>\n</section>\n");
    }

    private static bool AnyNonZero(JsonObject r, string field) =>
        (r["timeline"] as JsonArray ?? []).OfType<JsonObject>().Any(p => ReportJson.Number(p[field]) is > 0);

    private static void Chart(StringBuilder h, string id, string title, string caption) =>
        h.Append("<figure class=\"chart\"><figcaption>").Append(E(title)).Append(" <small>").Append(E(caption)).Append("</small></figcaption>")
            .Append("<div class=\"chart-box\"><canvas id=\"chart-").Append(id).Append("\" data-chart=\"").Append(id).Append("\" role=\"img\" aria-label=\"")
            .Append(E(title)).Append("\"></canvas></div></figure>\n");

    private static void Breakdowns(StringBuilder h, JsonObject r)
    {
        var codes = Rows(r["closeCodes"] as JsonObject);
        var errors = Rows(r["connectErrors"] as JsonObject);
        if (codes.Count == 0 && errors.Count == 0) return;
        h.Append("<section id=\"breakdowns\">\n<h2>Closes and connect errors</h2>\n<div class=\"charts\">\n");
        // Close codes of the clients' own connections (a malformed case's attacker connections are graded in the case matrix).
        CountTable(h, "close-codes", "Close codes", "how the clients' connections ended, by WebSocket close code (1006: no close frame)",
            codes, code => CloseCodeNames.GetValueOrDefault(code, int.TryParse(code, out var c) && c >= 4000 ? "application-defined" : ""));
        CountTable(h, "connect-errors", "Connect errors", "why connection attempts failed", errors, label => CauseMeaning($"connect:{label}"));
        h.Append("</div>\n</section>\n");
    }

    private static List<(string Key, double Count)> Rows(JsonObject? counts) =>
        [.. (counts ?? []).Select(c => (Key: c.Key, Count: ReportJson.Number(c.Value) ?? 0)).Where(c => c.Count > 0)
            .OrderByDescending(c => c.Count).ThenBy(c => c.Key, StringComparer.Ordinal)];

    private static void CountTable(StringBuilder h, string id, string title, string caption, List<(string Key, double Count)> rows, Func<string, string> meaning)
    {
        if (rows.Count == 0) return;
        h.Append("<figure class=\"chart\"><figcaption>").Append(E(title)).Append(" <small>").Append(E(caption)).Append("</small></figcaption>\n");
        h.Append("<div class=\"chart-box short\"><canvas id=\"chart-").Append(id).Append("\" data-chart=\"").Append(id).Append("\" role=\"img\" aria-label=\"")
            .Append(E(title)).Append("\"></canvas></div>\n<table><thead><tr><th>").Append(id == "close-codes" ? "code" : "error").Append("</th><th>meaning</th><th class=\"num\">count</th></tr></thead><tbody>\n");
        var total = rows.Sum(x => x.Count);
        foreach (var (key, count) in rows)
        {
            h.Append("<tr><td><code>").Append(E(key)).Append("</code></td><td>").Append(E(meaning(key))).Append("</td><td class=\"num\">").Append(E(Num(count)))
                .Append(" <small>(").Append(E(Num(total == 0 ? 0 : Math.Round(100 * count / total, 1)))).Append("%)</small></td></tr>\n");
        }
        h.Append("</tbody></table></figure>\n");
    }

    /// <summary>What the detail of a <c>server:</c> label without a Close frame means (Disconnects.cs classifies them).</summary>
    private static readonly Dictionary<string, string> ServerEndings = new()
    {
        ["reset"] = "the server reset the connection (RST) without a close frame",
        ["closed-without-handshake"] = "the connection ended between frames without a close handshake",
        ["closed-mid-frame"] = "the connection ended in the middle of a frame",
        ["message-too-big"] = "the server announced a message over the maximum message size; the client reset the connection",
        ["stalled-fragment"] = "the server started a fragmented message and did not finish it within lossTimeout; the client reset the connection",
        ["protocol-error"] = "the server broke the WebSocket protocol (bad frame, invalid UTF-8); the client failed the connection",
        ["other"] = "the connection failed without a close frame, for a reason not classified",
    };

    /// <summary>What failed connect labels mean (the rest are <c>http-CODE</c> or named as they came).</summary>
    private static readonly Dictionary<string, string> ConnectFailures = new()
    {
        ["refused"] = "the connection was refused (nothing listening)",
        ["timeout"] = "the connection attempt timed out",
        ["unreachable"] = "the target's host or network was unreachable",
        ["bad-upgrade"] = "the server answered 101 but with wrong upgrade headers or accept key",
        ["bad-response"] = "the server's answer to the upgrade was not HTTP or too large",
        ["closed-during-handshake"] = "the server closed or reset the connection during the upgrade",
        ["tls"] = "the TLS handshake failed",
        ["no-subprotocol"] = "the server accepted the upgrade without choosing one of connect.subprotocols",
        ["unoffered-subprotocol"] = "the server chose a subprotocol the client did not offer",
        ["secret-unavailable"] = "a secret of the connect block (environment variable or file) could not be read on the silo",
        ["other"] = "the attempt failed for a reason not classified",
    };

    /// <summary>What a cause label means, by its category and detail (see DisconnectCauses); never empty.</summary>
    internal static string CauseMeaning(string label)
    {
        var colon = label.IndexOf(':');
        var (category, detail) = colon < 0 ? (label, "") : (label[..colon], label[(colon + 1)..]);
        return category switch
        {
            "forced" => $"dropped by the scenario ({detail})",
            "switch" => $"network switch: the old path ended by {detail}",
            "server" when detail.StartsWith("close-", StringComparison.Ordinal) =>
                detail[6..] == "1005" ? "the server sent a Close frame without a status code"
                : $"the server closed with {detail[6..]}" + (CloseCodeNames.TryGetValue(detail[6..], out var name) ? $" ({name})"
                    : int.TryParse(detail[6..], out var c) && c >= 4000 ? " (application-defined)" : ""),
            "server" => ServerEndings.GetValueOrDefault(detail, $"the connection ended without a close frame ({detail})"),
            "zombie" when detail == "evicted" => "a zombie the server gave up on",
            "zombie" when detail == "undetected" => "a zombie the server still held when observation ended",
            "zombie" => $"a zombie episode ended ({detail})",
            "connect" when detail.StartsWith("http-", StringComparison.Ordinal) => $"the upgrade was answered with HTTP {detail[5..]} instead of 101",
            "connect" => $"a connection attempt failed: {ConnectFailures.GetValueOrDefault(detail, detail)}",
            "tool" when detail == "close" => "the tool's own side ended the connection unexpectedly",
            "tool" => $"ended by the tool itself ({detail})",
            _ => $"{label} (a label this version does not know)",
        };
    }

    /// <summary>Every disconnect by cause and group: a stacked bar chart and the table behind it.</summary>
    private static void DisconnectCauses(StringBuilder h, JsonObject r)
    {
        var groups = (r["groups"] as JsonObject ?? []).Select(g => (Name: g.Key, Causes: (g.Value as JsonObject)?["disconnectCauses"] as JsonObject ?? [])).ToList();
        var overall = r["disconnectCauses"] as JsonObject ?? [];
        var labels = overall.Select(c => c.Key).ToList();
        if (labels.Count == 0) return;
        h.Append("<section id=\"causes\">\n<h2>Disconnect causes</h2>\n");
        h.Append("<p class=\"summary\">Why each connection ended (or never opened), per group: dropped by the scenario (<code>forced</code>), a network switch, ")
            .Append("the server (close code, reset, EOF), a zombie episode's end, a failed connect, or the tool itself. Connections closed because the run ended are not counted.</p>\n");
        h.Append("<figure class=\"chart\"><div class=\"chart-box\" style=\"height:").Append(Math.Max(160, 60 + 26 * labels.Count))
            .Append("px\"><canvas id=\"chart-causes\" data-chart=\"causes\" role=\"img\" aria-label=\"Disconnect causes by group\"></canvas></div>\n");
        h.Append("<div class=\"scroll\"><table class=\"causes\"><thead><tr><th>cause</th><th>meaning</th>");
        foreach (var g in groups) h.Append("<th class=\"num\"><code>").Append(E(g.Name)).Append("</code></th>");
        h.Append("<th class=\"num\">total</th></tr></thead><tbody>\n");
        foreach (var label in labels)
        {
            h.Append("<tr><td><code>").Append(E(label)).Append("</code></td><td>").Append(E(CauseMeaning(label))).Append("</td>");
            foreach (var g in groups) h.Append("<td class=\"num\">").Append(E(Num(ReportJson.Number(g.Causes[label]) ?? 0))).Append("</td>");
            h.Append("<td class=\"num\">").Append(E(Num(overall[label]))).Append("</td></tr>\n");
        }
        h.Append("</tbody></table></div></figure>\n</section>\n");
    }

    /// <summary>
    /// The sampled clients' stories: one swimlane per client (state over time, drawn by the page script) and,
    /// folded under it, each client's events with their times and details.
    /// </summary>
    private static void ClientTimelines(StringBuilder h, JsonObject r)
    {
        var timelines = (r["timelines"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (timelines.Count == 0) return;
        h.Append("<section id=\"client-timelines\">\n<h2>Client timelines</h2>\n");
        h.Append("<p class=\"summary\">What ").Append(timelines.Count).Append(" sampled clients went through, state by state (spread over the groups; ")
            .Append("set the number with <code>report: { timelines: N }</code>). Times are seconds from the run's start.</p>\n");
        h.Append("<figure class=\"chart\"><div class=\"chart-box\" style=\"height:").Append(80 + 30 * timelines.Count)
            .Append("px\"><canvas id=\"chart-client-timelines\" data-chart=\"client-timelines\" role=\"img\" aria-label=\"Client states over time\"></canvas></div></figure>\n");
        foreach (var t in timelines)
        {
            var events = (t["events"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var drops = events.Count(e => Str(e["event"]) == "dropped");
            h.Append("<details class=\"client-events\"><summary>client <code>").Append(E(Num(t["client"]))).Append("</code> · <code>").Append(E(Str(t["group"])))
                .Append("</code> (").Append(E(Str(t["behavior"]))).Append(") · ").Append(events.Count).Append(events.Count == 1 ? " event, " : " events, ").Append(drops).Append(drops == 1 ? " drop" : " drops");
            if (ReportJson.Number(t["eventsDropped"]) is > 0 and var lost)
                h.Append(" · ").Append(E(Num(lost))).Append(" later events not kept");
            h.Append("</summary>\n<table><thead><tr><th class=\"num\">t (s)</th><th>event</th><th>state after</th><th>detail</th></tr></thead><tbody>\n");
            foreach (var e in events)
            {
                var ms = ReportJson.Number(e["atMs"]) ?? 0;
                h.Append("<tr class=\"ev-").Append(E(Str(e["event"]))).Append("\"><td class=\"num\">").Append(E((ms / 1000).ToString("0.000", CultureInfo.InvariantCulture)))
                    .Append("</td><td>").Append(E(Str(e["event"]))).Append("</td><td>").Append(E(Str(e["state"]))).Append("</td><td>")
                    .Append(E(Str(e["detail"]))).Append("</td></tr>\n");
            }
            h.Append("</tbody></table></details>\n");
        }
        h.Append("</section>\n");
    }

    private static void Groups(StringBuilder h, JsonObject r)
    {
        var groups = (r["groups"] as JsonObject ?? []).ToList();
        if (groups.Count == 0) return;
        h.Append("<section id=\"groups\">\n<h2>Groups</h2>\n");
        h.Append("<div class=\"scroll\"><table class=\"groups\"><thead><tr><th>group</th><th>behavior</th><th class=\"num\">clients</th>");
        foreach (var c in GroupColumns) h.Append("<th class=\"num\">").Append(E(c.Header)).Append("</th>");
        h.Append("<th>close codes</th></tr></thead><tbody>\n");
        foreach (var (groupName, node) in groups)
        {
            var g = node as JsonObject ?? [];
            var metrics = g["metrics"] as JsonObject ?? [];
            h.Append("<tr><td><code>").Append(E(groupName)).Append("</code></td><td>").Append(E(Str(g["behavior"]))).Append("</td><td class=\"num\">").Append(E(Num(g["clients"]))).Append("</td>");
            foreach (var c in GroupColumns)
            {
                var value = metrics[c.Metric] is JsonObject m ? TrendOrValue(m, c.Field) : null;
                var bad = value is > 0 && c.Metric is "connect_failures" or "messages_lost" or "false_disconnects";
                h.Append("<td class=\"num").Append(bad ? " bad" : "").Append("\">").Append(E(value is null ? "–" : Num(value.Value))).Append("</td>");
            }
            var codes = (g["closeCodes"] as JsonObject ?? []).OrderByDescending(c => ReportJson.Number(c.Value) ?? 0).Select(c => $"{c.Key}×{Num(c.Value)}");
            h.Append("<td>").Append(E(string.Join(" ", codes))).Append("</td></tr>\n");
        }
        h.Append("</tbody></table></div>\n");
        // A chart per timing that more than one group measured: the groups side by side.
        var shared = groups.SelectMany(g => ((g.Value as JsonObject)?["distributions"] as JsonObject ?? []).Select(d => d.Key))
            .GroupBy(t => t).Where(t => t.Count() > 1).Select(t => t.Key).ToList();
        if (shared.Count > 0)
        {
            h.Append("<div class=\"charts\">\n");
            foreach (var trend in shared) Chart(h, $"group-{trend}", $"{trend} by group", "p50, p95 and p99 of each group's samples, ms");
            h.Append("</div>\n");
        }
        h.Append("</section>\n");
    }

    private static double? TrendOrValue(JsonObject metric, string field)
    {
        if (Str(metric["type"]) == "trend" && ReportJson.Number(metric["count"]) == 0)
            return null; // no samples: a 0 would read as "0 ms"
        return ReportJson.Number(metric[field]);
    }

    /// <summary>Every metric that happened: counters above zero, trends with samples, ratios and gauges; the rest named in one line.</summary>
    private static void Metrics(StringBuilder h, JsonObject r)
    {
        var metrics = (r["metrics"] as JsonObject ?? []).Where(m => m.Value is JsonObject).Select(m => (Name: m.Key, M: (JsonObject)m.Value!)).ToList();
        if (metrics.Count == 0) return;
        var shown = metrics.Where(m => HasData(m.M)).ToList();
        var zero = metrics.Where(m => !HasData(m.M)).Select(m => m.Name).ToList();
        h.Append("<section id=\"metrics\">\n<h2>All metrics</h2>\n");
        h.Append("<div class=\"scroll\"><table class=\"metrics\"><thead><tr><th>metric</th><th>type</th><th class=\"num\">value / count</th><th class=\"num\">rate /s</th>")
            .Append("<th class=\"num\">min</th><th class=\"num\">avg</th><th class=\"num\">med</th><th class=\"num\">p90</th><th class=\"num\">p95</th><th class=\"num\">p99</th><th class=\"num\">max</th></tr></thead><tbody>\n");
        foreach (var (metricName, m) in shown)
        {
            var type = Str(m["type"]) ?? "";
            h.Append("<tr data-metric=\"").Append(E(metricName)).Append("\"><td><code>").Append(E(metricName)).Append("</code></td><td>").Append(E(type)).Append(m["unit"] is { } u ? $" ({E(Str(u))})" : "").Append("</td>");
            if (type == "trend")
            {
                h.Append("<td class=\"num\" data-value=\"").Append(E(Str(m["count"]))).Append("\">").Append(E(Num(m["count"]))).Append("</td><td></td>");
                foreach (var f in new[] { "min", "avg", "med", "p90", "p95", "p99", "max" })
                    h.Append("<td class=\"num\">").Append(E(Num(m[f]))).Append("</td>");
            }
            else
            {
                h.Append("<td class=\"num\" data-value=\"").Append(E(Str(m["value"]))).Append("\">").Append(E(Num(m["value"]))).Append("</td><td class=\"num\">").Append(E(Num(m["rate"]))).Append("</td>")
                    .Append("<td></td><td></td><td></td><td></td><td></td><td></td><td></td>");
            }
            h.Append("</tr>\n");
        }
        h.Append("</tbody></table></div>\n");
        if (zero.Count > 0)
            h.Append("<p class=\"note\">Zero, or no data, in this run (in report.json all the same): ").Append(string.Join(", ", zero.Select(z => $"<code>{E(z)}</code>"))).Append("</p>\n");
        h.Append("</section>\n");
    }

    /// <summary>A counter above zero, a trend with samples, any ratio with attempts behind it, any gauge.</summary>
    private static bool HasData(JsonObject m) => Str(m["type"]) switch
    {
        "trend" => ReportJson.Number(m["count"]) is > 0,
        "counter" => ReportJson.Number(m["value"]) is > 0,
        "ratio" => m["value"] is not null, // 0 of 10 zombies detected is a finding; null is nothing tried
        _ => m["value"] is not null,
    };

    private static void Cases(StringBuilder h, JsonObject r)
    {
        var cases = (r["cases"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (cases.Count == 0) return;
        h.Append("<section id=\"cases\">\n<h2>Malformed cases</h2>\n");
        h.Append("<p class=\"summary\">");
        foreach (var v in cases.GroupBy(c => Str(c["verdict"]) ?? "?").OrderBy(v => v.Key == "OK" ? 0 : 1).ThenBy(v => v.Key, StringComparer.Ordinal))
            h.Append("<span class=\"chip ").Append(VerdictClass(v.Key)).Append("\">").Append(E(v.Key)).Append(": ").Append(v.Count()).Append("</span> ");
        h.Append("</p>\n<div class=\"scroll\"><table class=\"cases\"><thead><tr><th>case</th><th>title</th><th>expected</th><th>observed</th><th>verdict</th><th class=\"num\">clients</th></tr></thead><tbody>\n");
        foreach (var c in cases.OrderBy(c => Str(c["id"]), StringComparer.Ordinal))
        {
            var verdict = Str(c["verdict"]) ?? "?";
            h.Append("<tr><td><code>").Append(E(Str(c["id"]))).Append("</code></td><td>").Append(E(Str(c["title"]))).Append("</td><td>").Append(E(Str(c["expected"])))
                .Append("</td><td>").Append(E(Str(c["observed"]))).Append("</td><td class=\"verdict ").Append(VerdictClass(verdict)).Append("\">").Append(E(verdict))
                .Append("</td><td class=\"num\">").Append(E(Num(c["clients"]))).Append("</td></tr>\n");
        }
        h.Append("</tbody></table></div>\n</section>\n");
    }

    /// <summary>What a malformed attack did to the healthy clients and the server (present only for such runs).</summary>
    private static void Collateral(StringBuilder h, JsonObject r)
    {
        if (r["collateral"] is not JsonObject c) return;
        h.Append("<section id=\"collateral\">\n<h2>Collateral damage</h2>\n<p class=\"summary\">What the attack did to the clients that behaved well and to the server. ")
            .Append("Before: until the first second an attacker sent a malformed case");
        if (ReportJson.Number(c["firstAttackSecond"]) is { } first) h.Append(" (second ").Append(E(Num(first))).Append(')');
        h.Append("; during: from then on. ").Append(E(Num(c["attackers"]))).Append(" attackers ran ").Append(E(Num(c["caseRuns"]))).Append(" cases.</p>\n");
        var phases = new[] { ("canaries", "canaries"), ("healthy", "all healthy groups") }.Where(p => c[p.Item1] is JsonObject).ToList();
        if (phases.Count > 0)
        {
            h.Append("<table class=\"collateral\"><thead><tr><th></th>");
            foreach (var (key, title) in phases)
            {
                var groups = (c[key]!["groups"] as JsonArray ?? []).Select(Str);
                h.Append("<th class=\"num\">").Append(E(title)).Append(" <small>(").Append(E(string.Join(", ", groups))).Append("; ").Append(E(Num(c[key]!["clients"]))).Append(" clients)</small></th>");
            }
            h.Append("</tr></thead><tbody>\n");
            (string Label, string Field, string Unit)[] rows =
            [
                ("message RTT p99 before the attack", "rttP99BeforeMs", " ms"), ("message RTT p99 during the attack", "rttP99DuringMs", " ms"),
                ("RTT samples before", "rttSamplesBefore", ""), ("RTT samples during", "rttSamplesDuring", ""),
                ("disconnects during the attack", "disconnectsDuring", ""), ("false disconnects during the attack", "falseDisconnectsDuring", ""),
                ("messages lost during the attack", "messagesLostDuring", ""),
            ];
            foreach (var (label, field, unit) in rows)
            {
                h.Append("<tr><th>").Append(E(label)).Append("</th>");
                foreach (var (key, _) in phases)
                {
                    var v = c[key]![field];
                    var bad = field is "falseDisconnectsDuring" or "messagesLostDuring" && ReportJson.Number(v) is > 0;
                    h.Append("<td class=\"num").Append(bad ? " bad" : "").Append("\">").Append(v is null ? "no samples" : E(Num(v) + unit)).Append("</td>");
                }
                h.Append("</tr>\n");
            }
            h.Append("</tbody></table>\n");
        }
        h.Append("<dl class=\"facts block\">");
        if (c["serverAcceptsAfterAttack"] is JsonValue accepts)
            Fact(h, "a new connection after the attack", accepts.GetValueKind() == JsonValueKind.True ? "accepted" : "refused");
        Fact(h, "probe", Str(c["probeAfterAttack"]));
        if (c["serverDownAfter"] is JsonObject { Count: > 0 } down)
            Fact(h, "server stopped accepting right after", string.Join(", ", down.Select(d => $"{d.Key} ({Num(d.Value)}×)")));
        if (c["targetMemory"] is JsonObject mem)
        {
            Fact(h, "target RSS", $"{Num(mem["rssBeforeMb"])} → {Num(mem["rssAfterMb"])} MB");
            Fact(h, "target heap", $"{Num(mem["heapBeforeMb"])} → {Num(mem["heapAfterMb"])} MB");
        }
        h.Append("</dl>\n</section>\n");
    }

    private static string VerdictClass(string verdict) => verdict switch
    {
        "OK" => "ok",
        "NON-STRICT" => "soft",
        Verdicts.NotApplicableName or Verdicts.NotRun => "none",
        _ => "bad",
    };

    private static void RunDetails(StringBuilder h, JsonObject r)
    {
        h.Append("<section id=\"run\">\n<h2>Run</h2>\n");
        if (r["notes"] is JsonArray { Count: > 0 } notes)
        {
            h.Append("<h3>Notes</h3>\n<ul class=\"notes\">");
            foreach (var n in notes) h.Append("<li>").Append(E(Str(n))).Append("</li>");
            h.Append("</ul>\n");
        }
        if (r["silos"] is JsonArray { Count: > 0 } silos)
        {
            h.Append("<h3>Silos</h3>\n<table><thead><tr><th>silo</th><th class=\"num\">clients</th><th>source addresses</th><th>lost during the run</th><th>stopped mid-run (drained)</th></tr></thead><tbody>\n");
            foreach (var s in silos.OfType<JsonObject>())
            {
                var sources = s["sourceRange"] is null ? "chosen by the OS" : $"{Str(s["sourceRange"])} ({Num(s["sourceAddresses"])})";
                h.Append("<tr><td><code>").Append(E(Str(s["address"]))).Append("</code></td><td class=\"num\">").Append(E(Num(s["clients"]))).Append("</td><td>")
                    .Append(E(sources)).Append("</td><td>")
                    .Append(s["lost"]?.GetValueKind() == JsonValueKind.True ? "yes" : "no").Append("</td><td>")
                    .Append(E(s["drainedAtSecond"] is JsonValue drained ? $"at {Num(drained)} s, {Num(s["migratedClients"])} of {Num(s["drainedClients"])} clients migrated" : "no")).Append("</td></tr>\n");
            }
            h.Append("</tbody></table>\n");
        }
        if (r["holes"]?["silos"] is JsonArray { Count: > 0 } holes)
        {
            h.Append("<h3>What lost silos took with them</h3>\n<table><thead><tr><th>silo</th><th class=\"num\">last collection (s)</th><th class=\"num\">declared dead (s)</th>")
                .Append("<th class=\"num\">window (s)</th><th class=\"num\">clients</th><th class=\"num\">re-activated (s)</th><th>may hold at most</th></tr></thead><tbody>\n");
            foreach (var s in holes.OfType<JsonObject>())
            {
                var atMost = string.Join(", ", (s["atMost"] as JsonObject ?? []).Select(c => $"{c.Key} {c.Value}"));
                h.Append("<tr><td><code>").Append(E(Str(s["silo"]))).Append("</code></td><td class=\"num\">").Append(E(Num(s["lastCollectedAtSecond"])))
                    .Append("</td><td class=\"num\">").Append(E(Num(s["lostAtSecond"]))).Append("</td><td class=\"num\">").Append(E(Num(s["windowSeconds"])))
                    .Append("</td><td class=\"num\">").Append(E(Num(s["clients"]))).Append("</td><td class=\"num\">").Append(E(Num(s["reactivatedAtSecond"])))
                    .Append("</td><td>").Append(E(atMost)).Append("</td></tr>\n");
            }
            h.Append("</tbody></table>\n");
            if (r["holes"]?["targetUpgradesNotReported"] is JsonValue unreported)
                h.Append("<p>The target saw ").Append(E(Num(unreported))).Append(" upgrade(s) that no client reported.</p>\n");
        }
        if (r["failovers"] is JsonArray { Count: > 0 } failovers)
        {
            h.Append("<h3>Coordinator failovers</h3>\n<table><thead><tr><th>silo left</th><th>cause</th><th class=\"num\">last answer (s)</th><th class=\"num\">found gone (s)</th>")
                .Append("<th>taken over by</th><th class=\"num\">resumed (s)</th><th class=\"num\">checkpoint (s)</th><th class=\"num\">clients re-activated</th><th class=\"num\">clients migrated</th></tr></thead><tbody>\n");
            foreach (var f in failovers.OfType<JsonObject>())
            {
                h.Append("<tr><td><code>").Append(E(Str(f["lostSilo"]))).Append("</code></td><td>").Append(E(Str(f["cause"]))).Append("</td><td class=\"num\">").Append(E(Num(f["lastAnsweredAtSecond"])))
                    .Append("</td><td class=\"num\">").Append(E(Num(f["detectedAtSecond"]))).Append("</td><td><code>").Append(E(Str(f["newSilo"])))
                    .Append("</code></td><td class=\"num\">").Append(E(Num(f["resumedAtSecond"]))).Append("</td><td class=\"num\">").Append(E(Num(f["checkpointAtSecond"])))
                    .Append("</td><td class=\"num\">").Append(E($"{Num(f["clientsReactivated"])} of {Num(f["clientsLost"])}")).Append("</td><td class=\"num\">").Append(E(Num(f["clientsMigrated"])))
                    .Append("</td></tr>\n");
            }
            h.Append("</tbody></table>\n");
        }
        if (r["targetStats"] is JsonObject stats)
        {
            h.Append("<details><summary><h3>Target's own /stats</h3></summary>\n<table><thead><tr><th>field</th><th class=\"num\">before</th><th class=\"num\">after</th></tr></thead><tbody>\n");
            var before = Flatten(stats["before"] as JsonObject);
            var after = Flatten(stats["after"] as JsonObject);
            foreach (var key in before.Keys.Union(after.Keys).Distinct())
            {
                h.Append("<tr><td><code>").Append(E(key)).Append("</code></td><td class=\"num\">").Append(E(before.GetValueOrDefault(key))).Append("</td><td class=\"num\">")
                    .Append(E(after.GetValueOrDefault(key))).Append("</td></tr>\n");
            }
            h.Append("</tbody></table></details>\n");
        }
        if (r["tool"] is JsonObject tool) Tool(h, tool);
        h.Append("</section>\n");
    }

    /// <summary>The tool's own costs in words, and its memory over time as a chart (drawn by the page script) and a folded table.</summary>
    private static void Tool(StringBuilder h, JsonObject tool)
    {
        (string Field, string Label, string Unit)[] facts =
        [
            ("cpuPercent", "CPU (of one core)", " %"), ("peakRssMb", "peak RSS", " MB"), ("highWaterRssMb", "RSS high-water mark", " MB"),
            ("heapMbAtPeak", "managed heap at the RSS peak", " MB"), ("liveHeapMb", "live heap after a full GC", " MB"), ("rssMbAfterGc", "RSS after a full GC", " MB"),
            ("gcPausePercent", "time paused in GC", " %"), ("gcMode", "GC mode", ""), ("embeddedSilo", "silo inside the command's process", ""), ("samples", "samples taken", ""),
        ];
        h.Append("<h3>The tool's own costs</h3>\n<table class=\"tool\"><tbody>\n");
        foreach (var (field, label, unit) in facts)
        {
            if (tool[field] is not JsonValue v) continue;
            var text = v.GetValueKind() switch { JsonValueKind.True => "yes", JsonValueKind.False => "no", _ => Num(v) + unit };
            h.Append("<tr><th>").Append(E(label)).Append("</th><td class=\"num\">").Append(E(text)).Append("</td></tr>\n");
        }
        foreach (var (key, value) in tool.Where(t => t.Value is JsonValue && !facts.Any(f => f.Field == t.Key)))
            h.Append("<tr><th><code>").Append(E(key)).Append("</code></th><td class=\"num\">").Append(E(Str(value))).Append("</td></tr>\n");
        h.Append("</tbody></table>\n");
        var series = (tool["series"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (series.Count == 0) return;
        Chart(h, "tool", "The tool's memory over the run", "RSS and managed heap of the simcluster process, MB");
        var columns = series.SelectMany(p => p.Where(x => x.Value is JsonValue).Select(x => x.Key)).Distinct().ToList();
        h.Append("<details><summary>the samples (").Append(series.Count).Append(")</summary>\n<table><thead><tr>");
        foreach (var col in columns) h.Append("<th class=\"num\">").Append(E(col)).Append("</th>");
        h.Append("</tr></thead><tbody>\n");
        foreach (var p in series)
        {
            h.Append("<tr>");
            foreach (var col in columns) h.Append("<td class=\"num\">").Append(E(Str(p[col]))).Append("</td>");
            h.Append("</tr>\n");
        }
        h.Append("</tbody></table></details>\n");
    }

    /// <summary>Scalars of a nested object as "a.b.c" → text, in document order.</summary>
    private static Dictionary<string, string> Flatten(JsonObject? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonNode? n, string prefix)
        {
            switch (n)
            {
                case JsonObject o when prefix.Length > 0 && o.Count > 12:
                    // A map such as sourceAddresses has one entry per client: show its size, not a thousand rows.
                    var numbers = o.Select(x => ReportJson.Number(x.Value)).ToList();
                    result[prefix] = numbers.All(x => x is not null)
                        ? $"{o.Count} entries, total {Num(numbers.Sum(x => x!.Value))}"
                        : $"{o.Count} entries";
                    break;
                case JsonObject o:
                    foreach (var (k, v) in o) Walk(v, prefix.Length == 0 ? k : $"{prefix}.{k}");
                    break;
                case JsonArray a:
                    result[prefix] = string.Join(", ", a.Select(x => x is JsonValue ? Str(x) : x?.ToJsonString()));
                    break;
                case JsonValue v:
                    result[prefix] = v.GetValueKind() == JsonValueKind.Number ? Num(v) : Str(v) ?? "";
                    break;
            }
        }
        Walk(node, "");
        return result;
    }

    private static void Scenario(StringBuilder h, JsonObject r)
    {
        if (r["scenarioFile"] is not JsonObject file) return;
        h.Append("<section id=\"scenario\">\n<h2>Scenario as run</h2>\n");
        h.Append("<p><code>").Append(E(Str(file["path"]))).Append("</code>");
        if (file["overrides"] is JsonArray { Count: > 0 } overrides)
        {
            h.Append(" with overrides ");
            h.Append(string.Join(" ", overrides.Select(o => $"<code>--set {E(Str(o))}</code>")));
        }
        h.Append("</p>\n<pre class=\"yaml\"><code>").Append(E(Str(file["text"]))).Append("</code></pre>\n</section>\n");
    }

    // ---- helpers ----

    /// <summary>
    /// report.json for the page's script. The default encoder writes &lt;, &gt;, &amp; and quotes as \u escapes,
    /// so no text in the report (notes, scenario file) can end the script element early.
    /// </summary>
    internal static string DataBlock(JsonObject report)
    {
        var json = report.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.Default });
        if (json.Contains('<'))
            throw new InvalidOperationException("the embedded report data must not contain '<'");
        return json;
    }

    /// <summary>A script's text made safe inside &lt;script&gt;: no source-map request (there is no network), no early end tag.</summary>
    private static string ScriptText(string source)
    {
        var lines = source.ReplaceLineEndings("\n").Split('\n').Where(l => !l.StartsWith("//# sourceMappingURL=", StringComparison.Ordinal));
        return string.Join("\n", lines).Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase).Replace("<!--", "<\\!--", StringComparison.Ordinal);
    }

    private static string Hash(string script) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)))}'";

    internal static string Asset(string name)
    {
        using var stream = typeof(HtmlReport).Assembly.GetManifestResourceStream(AssetPrefix + name)
            ?? throw new InvalidOperationException($"the report asset {name} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string Version() =>
        (typeof(HtmlReport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "").Split('+')[0];

    /// <summary>HTML-encodes text for element content and quoted attribute values.</summary>
    internal static string E(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length + 16);
        foreach (var ch in text)
        {
            sb.Append(ch switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => ch.ToString(),
            });
        }
        return sb.ToString();
    }

    private static string? Str(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Num(v),
        _ => node.ToJsonString(),
    };

    private static string Num(JsonNode? node) =>
        ReportJson.Number(node) is { } d ? Num(d) : Str(node) ?? "";

    internal static string Num(double value) =>
        double.IsFinite(value) ? value.ToString(Math.Abs(value) >= 10_000 ? "#,0.###" : "0.###", CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);
}
