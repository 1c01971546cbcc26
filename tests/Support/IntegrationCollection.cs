namespace SimCluster.Tests.Support;

/// <summary>
/// The runs that load the machine or are sensitive to it, one after another: Orleans clusters in process or
/// killed mid-run, the CPU-starved tool, zombie detection against server
/// heartbeats. Two of them at once would starve each other's timers on a 2-core box.
/// </summary>
[CollectionDefinition(Name)]
public sealed class IntegrationCollection
{
    public const string Name = "Integration";
}

/// <summary>
/// CLI runs with up to a hundred clients whose tests assert counts only (losses, duplicates, count thresholds,
/// graded exits): every shipped scenario scaled down, handovers, the own-server scenarios. They run one after
/// another, beside <see cref="IntegrationCollection"/>: a busy machine makes their timings worse, never their counts.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ScaledRunsCollection
{
    public const string Name = "ScaledRuns";
}

/// <summary>
/// Light CLI runs (at most a few dozen clients, bound by their scenario's duration, not by CPU), the graphql-ws
/// server's runs among them: they run one after another, beside the heavy collections, which they barely load.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LightRunsCollection
{
    public const string Name = "LightRuns";
}

/// <summary>
/// Token runs (short-lived JWTs refreshed in band or by reconnecting, custom refresh frames) and the conservation
/// runs against Node peers: light runs of a few dozen clients whose time is the tokens' lifetimes or the scenario's
/// duration, in a queue of their own beside <see cref="LightRunsCollection"/> so neither queue is the suite's long pole.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TokenRunsCollection
{
    public const string Name = "TokenRuns";
}

/// <summary>
/// Probes bound by timeouts, not by CPU: misconfigured clusters, the CLI's argument and scenario checks, signals,
/// the control API, small runs of about 20 clients. Most of their time is spent waiting for a bound to pass, so
/// they run one after another beside the run collections.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProbesCollection
{
    public const string Name = "Probes";
}

/// <summary>
/// Hostile, broken and attacked servers (each on its own free loopback port): bounded waits for servers that stall,
/// lie or crash, deliberately broken session servers, and the malformed case families (frame, handshake and
/// protocol cases) against the reference target and Node peers. Timeout-bound like
/// <see cref="ProbesCollection"/>, in a queue of their own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class HostileProbesCollection
{
    public const string Name = "HostileProbes";
}

/// <summary>
/// The Dockerfile's clean <c>dotnet publish</c> (minutes of compiling on a 2-core box) and the published silos it
/// starts: CPU-bound but not timing-sensitive. It starts beside the run queues (its four minutes started after the
/// first of them ended would make it the suite's long pole). The token secret and endpoint runs follow it here.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PublishCollection
{
    public const string Name = "Publish";
}
