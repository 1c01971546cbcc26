using System.Reflection;
using SimCluster.Abstractions.Metrics;
using SimCluster.Tests.Reports;

namespace SimCluster.Tests.Abstractions;

/// <summary>docs/metrics.md is the metric table rendered: neither can change without the other.</summary>
[Trait("Category", "Unit")]
public sealed class MetricDocsTests
{
    [Fact]
    public void Docs_metrics_md_is_what_the_metric_table_renders()
    {
        var path = Repo.PathOf(MetricDocs.Path);
        Assert.True(File.Exists(path) && File.ReadAllText(path) == MetricDocs.Render(),
            $"{MetricDocs.Path} differs from the metric table: regenerate it with ./simcluster metrics > {MetricDocs.Path}");
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
