namespace SimCluster.Tests.Support;

/// <summary>
/// Heavy tests (an Orleans cluster, the CLI as a child process, a Node peer) share one collection so they run
/// one after another: on a 2-core box, overlapping runs would starve each other's timers. Unit tests still
/// run alongside.
/// </summary>
[CollectionDefinition(Name)]
public sealed class IntegrationCollection
{
    public const string Name = "Integration";
}

/// <summary>
/// Light CLI runs (at most a few dozen clients, bound by their scenario's duration, not by CPU): they run one
/// after another, but beside <see cref="IntegrationCollection"/>, which they barely load. Keeps the suite's
/// wall time down without putting two heavy runs on two cores at once.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LightRunsCollection
{
    public const string Name = "LightRuns";
}
