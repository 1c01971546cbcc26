using SimCluster.Abstractions.Metrics;
using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// Reads <c>thresholds</c>: a mapping from a metric (optionally tagged with a group, k6 style:
/// <c>reconnect_time{group:flappers}</c>) to a list of expressions.
/// </summary>
internal static class ThresholdBinder
{
    private const string ListForm = "a list of expressions like [\"p(95)<500\"] or of { threshold: \"p(95)<500\", abortOnFail: true }";

    /// <param name="groups">Population group names; null when the population itself had errors (group tags are then not checked).</param>
    public static List<ThresholdSpec> Bind(MapReader root, IReadOnlySet<string>? groups)
    {
        var d = root.Diag;
        var result = new List<ThresholdSpec>();
        if (root.Get("thresholds") is not { } node)
            return result;
        if (MapReader.Open(node, "thresholds", d, "a mapping of metric: [expressions], like reconnect_time: [\"p(95)<500\"]") is not { } m)
            return result;

        // Keys are metric names, not a fixed set, so the entries are walked directly.
        foreach (var entry in m.Node.Entries)
        {
            var keyPath = m.PathOf(entry.Key.Value);
            var metricKey = ReadMetricKey(entry.Key, keyPath, d, groups);
            if (entry.Value is YScalar { IsNull: true })
            {
                d.Add(entry.Value, keyPath, $"expected {ListForm}, got nothing");
                continue;
            }
            var items = NodeReader.Items(entry.Value, keyPath, d, ListForm, scalarIsOneItem: true);
            foreach (var (itemNode, itemPath) in items ?? [])
            {
                // k6's long form: { threshold: "p(95)<500", abortOnFail: true, delayAbortEval: 10s }.
                var abortOnFail = false;
                var delayAbortEval = TimeSpan.Zero;
                var expressionNode = itemNode;
                var expressionPath = itemPath;
                if (itemNode is YMapping)
                {
                    if (MapReader.Open(itemNode, itemPath, d) is not { } longForm)
                        continue;
                    abortOnFail = longForm.Bool("abortOnFail") ?? false;
                    delayAbortEval = longForm.Duration("delayAbortEval") ?? TimeSpan.Zero;
                    var thresholdNode = longForm.Require("threshold", "an expression like p(95)<500");
                    longForm.ReportUnknownKeys();
                    if (thresholdNode is null)
                        continue;
                    expressionNode = thresholdNode;
                    expressionPath = longForm.PathOf("threshold");
                }
                if (NodeReader.Scalar(expressionNode, expressionPath, d, "an expression like p(95)<500") is not { } s)
                    continue;
                if (!ThresholdExpression.TryParse(s.Value, out var expr, out var error, out var column))
                {
                    // Point at the offending character inside the expression, not just at its start.
                    d.Add(s.Source, s.Line, s.TextColumn + column - 1, expressionPath, error!);
                    continue;
                }
                if (metricKey is not { } mk)
                    continue;
                var kind = MetricNames.All[mk.Metric];
                if (!ThresholdRules.Fits(kind, expr!.Aggregation))
                {
                    var allowed = string.Join(", ", ThresholdRules.AllowedFor(kind).Select(ThresholdRules.Spelling));
                    d.Add(s.Source, s.Line, s.TextColumn, expressionPath,
                        $"{ThresholdRules.Spelling(expr.Aggregation)} does not apply to {kind.ToString().ToLowerInvariant()} metric {Excerpt.Quote(mk.Metric)}; use {allowed}");
                    continue;
                }
                if (expr.Relative is { } relative)
                {
                    // Relative limits scale counts with the run: the plan's clients, or another counter of the run.
                    var counters = MetricNames.Table.Where(t => t.Kind == MetricKind.Counter).Select(t => t.Name).ToList();
                    if (relative != ThresholdExpression.Clients && !counters.Contains(relative))
                    {
                        var hint = Suggest.DidYouMean(relative, [ThresholdExpression.Clients, .. counters]);
                        d.Add(s.Source, s.Line, s.TextColumn + expr.RelativeColumn - 1, expressionPath,
                            $"unknown plan quantity {Excerpt.Quote(relative)}{hint}; a limit may be a number, clients (planned in the scope) or a counter metric, as in 20*clients or 0.99*messages_planned");
                        continue;
                    }
                    if (kind != MetricKind.Counter || expr.Aggregation is not (Aggregation.Count or Aggregation.Value))
                    {
                        d.Add(s.Source, s.Line, s.TextColumn, expressionPath,
                            $"a limit relative to the plan ({relative}) grades counts: use count or value on a counter metric, not {ThresholdRules.Spelling(expr.Aggregation)} on {Excerpt.Quote(mk.Metric)}");
                        continue;
                    }
                }
                result.Add(new ThresholdSpec
                {
                    Metric = mk.Metric,
                    Group = mk.Group,
                    Expression = s.Value,
                    Parsed = expr,
                    Line = s.Line,
                    Column = s.TextColumn,
                    AbortOnFail = abortOnFail,
                    DelayAbortEval = delayAbortEval,
                });
            }
        }
        return result;
    }

    /// <summary><c>metric</c> or <c>metric{group:NAME}</c>; null after an error.</summary>
    private static (string Metric, string? Group)? ReadMetricKey(YScalar key, string path, Diagnostics d, IReadOnlySet<string>? groups)
    {
        var text = key.Value;
        string metric = text;
        string? group = null;
        var brace = text.IndexOf('{');
        if (brace >= 0)
        {
            metric = text[..brace].Trim();
            if (!text.EndsWith('}'))
            {
                d.Add(key, path, $"expected a tag like {metric}{{group:flappers}}, got {Excerpt.Quote(text)}");
                return null;
            }
            var tag = text[(brace + 1)..^1];
            var colon = tag.IndexOf(':');
            var tagName = colon < 0 ? tag.Trim() : tag[..colon].Trim();
            if (colon < 0 || tagName != "group")
            {
                d.Add(key, path, $"the only tag is group, as in {metric}{{group:flappers}}; got '{{{tag}}}'");
                return null;
            }
            group = tag[(colon + 1)..].Trim();
        }

        var ok = true;
        if (!MetricNames.All.ContainsKey(metric))
        {
            // The metric list is long: show it only when there is no obvious suggestion.
            var hint = Suggest.DidYouMean(metric, MetricNames.All.Keys);
            d.Add(key, path, hint.Length > 0 ? $"unknown metric {Excerpt.Quote(metric)}{hint}" : $"unknown metric {Excerpt.Quote(metric)}; valid: {Suggest.List(MetricNames.All.Keys)}");
            ok = false;
        }
        if (group is not null && groups is not null && !groups.Contains(group))
        {
            d.Add(key, path, $"group {Excerpt.Quote(group)} is not in the population{Suggest.DidYouMean(group, groups)}; groups: {Suggest.List(groups)}");
            ok = false;
        }
        return ok ? (metric, group) : null;
    }
}
