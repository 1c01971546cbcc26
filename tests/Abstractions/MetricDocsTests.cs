using System.Reflection;
using SimCluster.Abstractions.Metrics;

namespace SimCluster.Tests.Abstractions;

/// <summary>docs/metrics.md is the metric table rendered: neither can change without the other.</summary>
[Trait("Category", "Unit")]
public sealed class MetricDocsTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SimCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("the repository root (SimCluster.sln) was not found above the test binaries");
    }

    [Fact]
    public void Docs_metrics_md_is_what_the_metric_table_renders()
    {
        var path = Path.Combine(RepoRoot(), MetricDocs.Path);
        var rendered = MetricDocs.Render();
        // SIMCLUSTER_WRITE_DOCS=1 regenerates the page after a change to the table.
        if (Environment.GetEnvironmentVariable("SIMCLUSTER_WRITE_DOCS") == "1") File.WriteAllText(path, rendered);
        Assert.True(File.Exists(path), $"{MetricDocs.Path} is missing: run this test with SIMCLUSTER_WRITE_DOCS=1");
        Assert.True(File.ReadAllText(path) == rendered,
            $"{MetricDocs.Path} differs from the metric table: run this test with SIMCLUSTER_WRITE_DOCS=1 to regenerate it");
    }

    [Fact]
    public void Every_metric_name_has_one_table_entry_with_a_definition()
    {
        var constants = typeof(MetricNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Equal(constants.Order(), MetricNames.Table.Select(m => m.Name).Order());
        Assert.Equal(MetricNames.Table.Count, MetricNames.All.Count); // no name twice
        Assert.All(MetricNames.Table, m => Assert.True(m.Definition.Length > 20 && m.Definition.EndsWith('.'), $"{m.Name}: '{m.Definition}'"));
        Assert.All(MetricNames.Table, m => Assert.DoesNotContain("|", m.Definition)); // a table cell
    }

    [Fact]
    public void Every_ratio_names_the_counters_it_divides_and_nothing_else_does()
    {
        foreach (var m in MetricNames.Table)
        {
            if (m.Kind != MetricKind.Ratio)
            {
                Assert.True(m.Passes is null && m.OutOf.Count == 0, $"{m.Name} is a {m.Kind} with ratio parts");
                continue;
            }
            Assert.Equal(MetricKind.Counter, MetricNames.All[m.Passes!]);
            Assert.NotEmpty(m.OutOf);
            Assert.All(m.OutOf, o => Assert.Equal(MetricKind.Counter, MetricNames.All[o]));
        }
    }
}
