using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios;

/// <summary>
/// <c>connect:</c>, already in plan form (secret files resolved to absolute paths), with where each secret reference
/// is written, so a run can check before it starts that every one can be read and name its line if not.
/// </summary>
public sealed record ConnectSpec
{
    public ConnectPlan Plan { get; init; } = new();
    public IReadOnlyList<ConnectSecretSpec> Secrets { get; init; } = [];
}

/// <summary>A secret the connect block names: its key path, where it is written, and where the value lives.</summary>
public sealed record ConnectSecretSpec(string Key, int Line, int Column, ConnectValuePlan Value);
