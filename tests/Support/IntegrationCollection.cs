namespace SimCluster.Tests.Support;

/// <summary>
/// Heavy tests (an Orleans cluster, the CLI as a child process with dozens to hundreds of clients, timing figures
/// such as zombie detection times) share one collection so they run one after another: on a 2-core box,
/// overlapping heavy runs would starve each other's timers. Lighter collections run alongside.
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

/// <summary>
/// Probes bound by timeouts, not by CPU: hostile and malformed servers, misconfigured clusters, the CLI's
/// argument and scenario checks, small runs of about 20 clients (smoke, a custom refresh server). Most of their
/// time is spent waiting for a bound to pass, so they run one after another beside
/// <see cref="IntegrationCollection"/> and <see cref="LightRunsCollection"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProbesCollection
{
    public const string Name = "Probes";
}

/// <summary>
/// The Dockerfile's clean <c>dotnet publish</c> (minutes of compiling on a 2-core box) and the published silos it
/// starts: CPU-bound but not timing-sensitive, so it runs from the start of the suite beside everything else
/// instead of holding up <see cref="IntegrationCollection"/>. The token secret and endpoint runs follow it here
/// (about three and a half minutes), which keeps <see cref="LightRunsCollection"/> from being the suite's long pole.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PublishCollection
{
    public const string Name = "Publish";
}
