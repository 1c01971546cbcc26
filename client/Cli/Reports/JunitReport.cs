using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using SimCluster.Transport.Malformed;

namespace SimCluster.Cli.Reports;

/// <summary>
/// report.junit.xml, so CI systems show a run natively: one test case per threshold (a failed threshold is
/// a &lt;failure&gt; with what was expected and what was measured) and one per malformed case (any verdict
/// but OK is a failure). A run that did not complete adds one errored test case. The layout is the common
/// JUnit one (testsuites / testsuite / properties, testcase, system-out, system-err) that Jenkins, GitLab,
/// GitHub and Azure read. Rendered from report.json alone.
/// </summary>
public static class JunitReport
{
    public static string Render(JsonObject report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var scenario = Text(report["scenario"]) ?? "scenario";
        var seconds = ReportJson.Number(report["durationSeconds"]) ?? 0;
        var timestamp = DateTimeOffset.TryParse(Text(report["startedAt"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started)
            ? started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
            : "1970-01-01T00:00:00";

        var suites = new List<Suite>();
        var thresholds = new Suite($"{scenario}.thresholds", $"simcluster.{scenario}.thresholds");
        foreach (var t in (report["thresholds"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var metric = Text(t["metric"]) ?? "?";
            var expression = Text(t["expression"]) ?? "?";
            var actual = ReportJson.Number(t["actual"]) is { } a ? Number(a) : "no value";
            var note = Text(t["note"]);
            var passed = t["passed"]?.GetValueKind() == JsonValueKind.True;
            thresholds.Cases.Add(new Case($"{metric} {expression}", passed ? null : new Problem(
                "failure", "threshold",
                $"{metric}: expected {expression}, actual {actual}" + (note is null ? "" : $" ({note})"),
                $"metric: {metric}\nexpected: {expression}\nactual: {actual}" + (note is null ? "" : $"\nnote: {note}"))));
        }
        suites.Add(thresholds);

        var cases = (report["cases"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (cases.Count > 0)
        {
            var malformed = new Suite($"{scenario}.malformed-cases", $"simcluster.{scenario}.malformed");
            foreach (var c in cases.OrderBy(c => Text(c["id"]), StringComparer.Ordinal))
            {
                var id = Text(c["id"]) ?? "?";
                var title = Text(c["title"]);
                var verdict = Text(c["verdict"]) ?? "?";
                var expected = Text(c["expected"]) ?? "";
                var observed = Text(c["observed"]) ?? "";
                // Not applicable and not run are no grade of the server: skipped (malformed_cases_not_run can fail a run).
                var problem = verdict is Verdicts.NotApplicableName or Verdicts.NotRun ? "skipped" : "failure";
                malformed.Cases.Add(new Case(title is null ? id : $"{id} {title}", verdict == "OK" ? null : new Problem(
                    problem, verdict,
                    $"{id}: {verdict}: expected {expected}, observed {observed}",
                    $"case: {id}\nverdict: {verdict}\nexpected: {expected}\nobserved: {observed}\nclients: {Text(c["clients"])}")));
            }
            suites.Add(malformed);
        }

        if (report["partial"]?.GetValueKind() == JsonValueKind.True || Text(report["verdict"]) == "partial")
        {
            var run = new Suite($"{scenario}.run", $"simcluster.{scenario}.run");
            run.Cases.Add(new Case("run completed", new Problem("error", "partial",
                $"the run did not complete ({Text(report["partialReason"]) ?? "interrupted or aborted"}); its numbers are partial",
                string.Join("\n", (report["notes"] as JsonArray ?? []).Select(Text)))));
            suites.Add(run);
        }

        var properties = new List<(string, string)>
        {
            ("scenario", scenario),
            ("runId", Text(report["runId"]) ?? ""),
            ("seed", Text(report["seed"]) ?? ""),
            ("target", report["target"] is JsonArray targets ? string.Join(", ", targets.Select(Text)) : Text(report["target"]) ?? ""),
            ("verdict", Text(report["verdict"]) ?? ""),
            ("clients.planned", Text(report["clients"]?["planned"]) ?? ""),
            ("clients.started", Text(report["clients"]?["started"]) ?? ""),
        };
        var systemOut = new StringBuilder();
        systemOut.Append(CultureInfo.InvariantCulture, $"SimCluster run {Text(report["runId"])}: verdict {Text(report["verdict"])}, {Number(seconds)} s\n");
        foreach (var note in report["notes"] as JsonArray ?? [])
            systemOut.Append("note: ").Append(Text(note)).Append('\n');

        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        var output = new StringBuilder();
        using (var sw = new Utf8StringWriter(output))
        using (var w = XmlWriter.Create(sw, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("name", Clean($"simcluster {scenario}"));
            w.WriteAttributeString("tests", suites.Sum(x => x.Cases.Count).ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", suites.Sum(x => x.Failures).ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("errors", suites.Sum(x => x.Errors).ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("time", Number(seconds));
            for (var i = 0; i < suites.Count; i++)
            {
                var suite = suites[i];
                w.WriteStartElement("testsuite");
                w.WriteAttributeString("name", Clean(suite.Name));
                w.WriteAttributeString("tests", suite.Cases.Count.ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("failures", suite.Failures.ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("errors", suite.Errors.ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("skipped", suite.Skipped.ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("time", Number(seconds));
                w.WriteAttributeString("timestamp", timestamp);
                w.WriteAttributeString("hostname", "localhost");
                w.WriteAttributeString("id", i.ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("package", Clean($"simcluster.{scenario}"));
                w.WriteStartElement("properties");
                foreach (var (name, value) in properties)
                {
                    w.WriteStartElement("property");
                    w.WriteAttributeString("name", name);
                    w.WriteAttributeString("value", Clean(value));
                    w.WriteEndElement();
                }
                w.WriteEndElement();
                foreach (var c in suite.Cases)
                {
                    w.WriteStartElement("testcase");
                    w.WriteAttributeString("name", Clean(c.Name));
                    w.WriteAttributeString("classname", Clean(suite.ClassName));
                    w.WriteAttributeString("time", "0");
                    if (c.Problem is { } p)
                    {
                        w.WriteStartElement(p.Element);
                        w.WriteAttributeString("message", Clean(p.Message));
                        w.WriteAttributeString("type", Clean(p.Type));
                        w.WriteString(Clean(p.Details));
                        w.WriteEndElement();
                    }
                    w.WriteEndElement();
                }
                w.WriteElementString("system-out", Clean(i == 0 ? systemOut.ToString() : ""));
                w.WriteElementString("system-err", "");
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        return output.Append('\n').ToString();
    }

    private sealed record Problem(string Element, string Type, string Message, string Details);

    private sealed record Case(string Name, Problem? Problem);

    private sealed record Suite(string Name, string ClassName)
    {
        public List<Case> Cases { get; } = [];
        public int Failures => Cases.Count(c => c.Problem?.Element == "failure");
        public int Errors => Cases.Count(c => c.Problem?.Element == "error");
        public int Skipped => Cases.Count(c => c.Problem?.Element == "skipped");
    }

    /// <summary>Drops characters XML 1.0 cannot carry (control characters in a note would make the file unreadable).</summary>
    private static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (i + 1 < text.Length && char.IsSurrogatePair(text[i], text[i + 1]))
                sb.Append(text, i++, 2);
            else if (XmlConvert.IsXmlChar(text[i]))
                sb.Append(text[i]);
        }
        return sb.ToString();
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Number(ReportJson.Number(v)!.Value),
        _ => node.ToJsonString(),
    };

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private sealed class Utf8StringWriter(StringBuilder sb) : StringWriter(sb, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
