using Xunit.Abstractions;
using Xunit.Sdk;

// Four collections at a time (xunit's conservative algorithm starts a collection only when a slot is free):
// Integration, LightRuns, Probes and Publish/unit tests. Most of their time is spent waiting for a scenario's
// duration or a timeout, not on a core; the heavy, timing-sensitive runs stay serial inside Integration.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
[assembly: TestCollectionOrderer("SimCluster.Tests.Support.LongestFirstOrderer", "SimCluster.Tests")]

namespace SimCluster.Tests.Support;

/// <summary>
/// Starts the long serial collections first, so the suite's wall time is the longest collection, not the
/// longest collection plus whatever unit tests happened to be scheduled before it. The rest keep a stable order.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    private static readonly string[] First =
    [
        IntegrationCollection.Name, LightRunsCollection.Name, ProbesCollection.Name, PublishCollection.Name,
        "Test collection for SimCluster.Tests.Reports.ReportInBrowserTests", // a real run and Chromium: a minute and a half
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .OrderBy(c => Array.IndexOf(First, c.DisplayName) is var i and >= 0 ? i : First.Length)
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal);
}
