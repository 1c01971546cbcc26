using System.Text;

namespace SimCluster.Abstractions.Metrics;

/// <summary>
/// Renders docs/metrics.md from <see cref="MetricNames.Table"/>, so the users' definitions and the metrics the
/// tool reports cannot drift apart (a unit test compares the file with <see cref="Render"/>).
/// </summary>
public static class MetricDocs
{
    public const string Path = "docs/metrics.md";

    private static readonly Dictionary<MetricSection, string> Titles = new()
    {
        [MetricSection.Connections] = "Connections",
        [MetricSection.Messages] = "Messages",
        [MetricSection.Flapping] = "Flapping and reconnects (resilience test 6)",
        [MetricSection.Zombies] = "Zombies (resilience test 7)",
        [MetricSection.Session] = "Session protocol",
        [MetricSection.Switching] = "Network switching (resilience test 9)",
        [MetricSection.Tokens] = "Tokens (resilience test 10)",
        [MetricSection.Malformed] = "Malformed input (resilience test 8)",
        [MetricSection.Tool] = "The tool itself",
        [MetricSection.Target] = "The target (read from its /stats)",
    };

    public static string Render()
    {
        var md = new StringBuilder();
        md.Append("""
            # Metrics

            Every metric SimCluster reports, with its exact definition. `report.json` lists all of them under
            `metrics` (the whole run) and `groups.NAME.metrics` (one group); thresholds name them as `NAME` or
            `NAME{group:GROUP}`. This page is generated from the metric table in
            `grains/Abstractions/Metrics/MetricNames.cs` and a unit test fails when the two differ; after changing
            the table, regenerate it with `./simcluster metrics > docs/metrics.md`.

            ## Kinds, aggregations and "no data"

            | kind | report.json | threshold aggregations |
            |---|---|---|
            | counter | `value` (the count), `rate` | `count`, `value` (both the count), `rate` |
            | ratio | `value`, `passes`, `total` | `value` (`rate` is the same number) |
            | trend | `count`, `min`, `avg`, `med`, `p90`, `p95`, `p99`, `max` in milliseconds | `p(N)`, `avg`, `min`, `max`, `med`, `count` |
            | gauge | `value` | `value` |

            - **rate** = count / `activeSeconds`: the run's active time, from its start instant until the clients
              were told to stop (the planned `duration`, or less when the run was aborted or interrupted). While the
              run goes (`abortOnFail`), the active time so far: at second 5 of 60, a count of 50 is a rate of 10.
            - **ratio** = `passes` / `total`, the counters named below. With `total` 0 nothing was tried: `value` is
              `null`, the summary and report.html say "no data", and a threshold on it fails with "no data", as on an
              empty trend. A ratio of 0 means every attempt failed.
            - **trend** aggregations of an empty trend are "no data" (a threshold fails); its `count` is 0.
            - A counter that never moved is 0, and `count`/`value` thresholds see 0.
            - Counts are exact across silos: every silo's counters and trend histograms are cumulative, so a late
              collection reply loses nothing. The report's `timeline` has a point per second (`t` = 1, 2, ...), through
              the last second and the end-of-run drain, each with what was counted since the previous point; they add
              up to the totals.
            - A report whose numbers are incomplete (a silo lost or silent at the final collection, an abort, an
              interruption) is `partial` with the reason in `partialReason` and `notes`.

            """);
        foreach (var section in Enum.GetValues<MetricSection>())
        {
            var metrics = MetricNames.Table.Where(m => m.Section == section).ToList();
            if (metrics.Count == 0) continue;
            md.Append("\n## ").Append(Titles[section]).Append("\n\n| metric | kind | definition |\n|---|---|---|\n");
            foreach (var m in metrics)
            {
                md.Append("| `").Append(m.Name).Append("` | ").Append(m.Kind == MetricKind.Trend ? "trend (ms)" : m.Kind.ToString().ToLowerInvariant()).Append(" | ").Append(m.Definition);
                if (m.Kind == MetricKind.Ratio)
                    md.Append(" `passes` = `").Append(m.Passes).Append("`, `total` = ").Append(string.Join(" + ", m.OutOf.Select(o => $"`{o}`"))).Append('.');
                md.Append(" |\n");
            }
        }
        return md.ToString();
    }
}
