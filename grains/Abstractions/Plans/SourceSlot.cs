namespace SimCluster.Abstractions.Plans;

/// <summary>
/// Where a client takes its source address from: slice <see cref="Slice"/> of <see cref="Slices"/> of the run's
/// source ranges (its silo's own part), at <see cref="Position"/> within that slice (the client's place in its
/// silo's share). A client re-activated on a survivor after a silo loss takes the survivor's slice, at a place
/// after the survivor's own clients.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SourceSlot(
    [property: Id(0)] int Slice,
    [property: Id(1)] int Slices,
    [property: Id(2)] int Position)
{
    /// <summary>A run on one silo: the whole range, client i at place i.</summary>
    public static SourceSlot Whole(int clientIndex) => new(0, 1, clientIndex);
}

/// <summary>One silo's part of the run's source addresses, for progress and the report.</summary>
[GenerateSerializer, Immutable]
public sealed record SiloSourceRange
{
    [Id(0)] public required string Silo { get; init; }
    /// <summary>"first-last" per range, comma-separated; empty when the OS chooses (a non-loopback target without ranges).</summary>
    [Id(1)] public required string Range { get; init; }
    [Id(2)] public long Addresses { get; init; }
    /// <summary>Clients this silo runs (its share plus clients it adopted from lost silos).</summary>
    [Id(3)] public int Clients { get; init; }
}
