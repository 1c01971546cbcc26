using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Metrics;

namespace SimCluster.Grains.Clients;

/// <summary>What a client is, fixed at arm: its run, group, place, recorder and clock. Behaviours read it through their control.</summary>
public sealed record ClientContext(RunPlan Plan, GroupPlan Group, int Index, SourceSlot Source, GroupRecorder Metrics, TimeProvider Time, SiloCaseResults CaseResults);
