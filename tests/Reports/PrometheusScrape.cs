using System.Globalization;
using System.Text.RegularExpressions;
using SimCluster.Grains.Metrics;

namespace SimCluster.Tests.Reports;

/// <summary>Reads a Prometheus text exposition (the silo's /metrics) into series, and checks a run's trend histograms.</summary>
internal static partial class PrometheusScrape
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static IReadOnlyList<Sample> Series(string text) => [.. text.Split('\n').Select(l => SampleLine().Match(l)).Where(m => m.Success).Select(m => new Sample(
        m.Groups["name"].Value,
        LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value),
        double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))];

    /// <summary>Whether the scrape already has samples of the run's trend and a connect of the run (what <see cref="AssertRunHistograms"/> checks).</summary>
    public static bool HasRunSamples(string text, string runId, string trend)
    {
        var samples = Series(text);
        return samples.Any(s => s.Name == $"simcluster_{trend}_seconds_count" && s.Labels.GetValueOrDefault("run") == runId && s.Value > 0)
            && samples.Any(s => s.Name == "simcluster_connects_total" && s.Labels.GetValueOrDefault("run") == runId && s.Value > 0);
    }

    /// <summary>
    /// The trend's histogram of <paramref name="runId"/>: for each group series, every bucket bound SiloMeter sets plus
    /// +Inf, counts never falling as the bound rises, +Inf equal to _count, some samples, and a positive _sum; the
    /// service name on target_info; a description as HELP.
    /// </summary>
    public static void AssertRunHistograms(string text, string runId, string trend)
    {
        var name = $"simcluster_{trend}_seconds";
        var samples = Series(text);
        var buckets = samples.Where(s => s.Name == $"{name}_bucket" && s.Labels.GetValueOrDefault("run") == runId).ToList();
        Assert.True(buckets.Count > 0, $"no {name}_bucket series of run {runId} in the scrape:\n{text[..Math.Min(text.Length, 3000)]}");
        long total = 0;
        foreach (var series in buckets.GroupBy(b => string.Join(",", b.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))))
        {
            var first = series.First().Labels;
            Assert.False(string.IsNullOrEmpty(first.GetValueOrDefault("scenario")), $"no scenario label: {series.Key}");
            Assert.False(string.IsNullOrEmpty(first.GetValueOrDefault("silo")), $"no silo label: {series.Key}");
            var bounds = series.Select(b => b.Labels["le"]).ToList();
            Assert.Equal([.. SiloMeter.BucketBounds.Select(b => b.ToString(CultureInfo.InvariantCulture)), "+Inf"], bounds);
            var counts = series.Select(b => b.Value).ToList();
            Assert.True(counts.Zip(counts.Skip(1)).All(p => p.First <= p.Second), $"buckets not cumulative: {series.Key} {string.Join(" ", counts)}");
            var count = samples.Single(s => s.Name == $"{name}_count" && Same(s, first)).Value;
            var sum = samples.Single(s => s.Name == $"{name}_sum" && Same(s, first)).Value;
            Assert.Equal(count, counts[^1]);
            Assert.True(count == 0 || sum > 0, $"{series.Key}: {count} samples but sum {sum}");
            total += (long)count;
        }
        Assert.True(total > 0, $"run {runId} has no {trend} samples on this silo");
        // The counters and the gauge beside the histograms, with the same labels.
        Assert.Contains(samples, s => s.Name == "simcluster_connects_total" && s.Labels.GetValueOrDefault("run") == runId && s.Value > 0);
        Assert.Contains(samples, s => s.Name == "simcluster_open_connections" && s.Labels.GetValueOrDefault("run") == runId);
        Assert.Matches("# HELP simcluster_connects_total \\S.*", text);
        Assert.Contains(samples, s => s.Name == "target_info" && s.Labels.GetValueOrDefault("service_name") == "simcluster");
        Assert.Matches($"# HELP {name} \\S.*", text);
    }

    private static bool Same(Sample s, IReadOnlyDictionary<string, string> labels) =>
        labels.Where(l => l.Key != "le").All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s+(?<value>[-+0-9.eEInfNa]+)")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
