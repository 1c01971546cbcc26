using Xunit.Abstractions;
using Xunit.Sdk;

// Seven collections at a time (xunit's conservative algorithm starts a collection only when a slot is free):
// Integration, LightRuns, ScaledRuns, TokenRuns, Probes, HostileProbes and Publish, then the unit tests as slots
// free up. The suite keeps both cores about 90 % busy, so the queues are balanced to end together (about 8 to 10
// minutes each on a 2-core machine) rather than made more numerous; the runs that load the machine or are
// sensitive to it stay serial inside Integration.
[assembly: CollectionBehavior(MaxParallelThreads = 7)]
[assembly: TestCollectionOrderer("SimCluster.Tests.Support.LongestFirstOrderer", "SimCluster.Tests")]

namespace SimCluster.Tests.Support;

/// <summary>
/// Starts the long serial collections first, longest first, so the suite's wall time is the longest collection,
/// not the longest collection plus whatever unit tests happened to be scheduled before it. The rest keep a stable order.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    private static readonly string[] First =
    [
        IntegrationCollection.Name, LightRunsCollection.Name, ScaledRunsCollection.Name, TokenRunsCollection.Name,
        ProbesCollection.Name, HostileProbesCollection.Name, PublishCollection.Name,
        "Test collection for SimCluster.Tests.Reports.ReportComparisonTests", // two flapping runs
        "Test collection for SimCluster.Tests.Malformed.SurvivalTests", // bounded waits on servers that never answer
        "Test collection for SimCluster.Tests.Reports.ReportInBrowserTests", // a real run and Chromium
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .OrderBy(c => Array.IndexOf(First, c.DisplayName) is var i and >= 0 ? i : First.Length)
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal);
}
