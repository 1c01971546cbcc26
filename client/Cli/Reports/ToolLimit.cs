using System.Text.Json.Nodes;
using SimCluster.Abstractions.Metrics;

namespace SimCluster.Cli.Reports;

/// <summary>
/// Was the tool itself the bottleneck? A load generator that is late measures its own lateness as the
/// server's latency, so a run is <b>tool-limited</b> when either holds:
/// <list type="bullet">
/// <item><c>send_lag</c> p95 above <see cref="SendLagBoundMs"/> ms: messages left late because the tool could not
/// keep its own schedule (CPU starvation, GC, an overloaded silo);</item>
/// <item>the tool's process (an embedded silo: the clients run in it) used at least <see cref="CpuBoundShare"/> of
/// the cores it may run on over the run.</item>
/// </list>
/// Then every threshold on a timing (a trend, all measured on the tool's clock) is marked tool-limited; when such
/// thresholds are the only ones that failed, the run is not a server failure but a run that could not measure
/// it (verdict <c>tool-limited</c>, exit 105).
/// </summary>
public sealed record ToolLimit(bool Limited, IReadOnlyList<string> Reasons, double? SendLagP95Ms, double? CpuPercent, int? Cores)
{
    public const double SendLagBoundMs = 100;
    public const double CpuBoundShare = 0.9;

    public static ToolLimit Judge(MetricSet overall, JsonObject? tool)
    {
        var reasons = new List<string>();
        double? lag = null;
        if (overall.TryGet(MetricNames.SendLag, Scenarios.Aggregation.Percentile, 95, out var p95) && !double.IsNaN(p95))
        {
            lag = Math.Round(p95, 1);
            if (p95 > SendLagBoundMs)
                reasons.Add($"send_lag p95 {p95:0} ms is above the {SendLagBoundMs:0} ms bound: the tool sent late, so its timings include its own delay");
        }
        double? cpu = tool?["cpuPercent"] is JsonValue c && c.TryGetValue<double>(out var cv) ? cv : null;
        int? cores = tool?["cores"] is JsonValue n && n.TryGetValue<int>(out var nv) ? nv : null;
        var embedded = tool?["embeddedSilo"] is JsonValue e && e.TryGetValue<bool>(out var ev) && ev;
        if (embedded && cpu is { } used && cores is { } k && k > 0 && used >= CpuBoundShare * 100 * k)
            reasons.Add($"the tool's own CPU was saturated: {used:0} % of {k} core(s) (bound {CpuBoundShare * 100:0} % of them)");
        return new ToolLimit(reasons.Count > 0, reasons, lag, cpu, cores);
    }

    /// <summary>A threshold whose number the tool's own lateness inflates: any timing.</summary>
    public static bool Affects(string metric) => MetricNames.All.TryGetValue(metric, out var kind) && kind == MetricKind.Trend;

    public JsonObject ToJson() => new()
    {
        ["limited"] = Limited,
        ["reasons"] = new JsonArray([.. Reasons.Select(r => (JsonNode)r)]),
        ["sendLagP95Ms"] = SendLagP95Ms,
        ["sendLagBoundMs"] = SendLagBoundMs,
        ["cpuPercent"] = CpuPercent,
        ["cores"] = Cores,
        ["cpuBoundPercent"] = Cores is { } k ? CpuBoundShare * 100 * k : null,
    };
}
