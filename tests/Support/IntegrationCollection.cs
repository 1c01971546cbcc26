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
