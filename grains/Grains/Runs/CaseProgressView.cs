using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Transport.Malformed;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Case verdicts as they arrive (the report grades the same way, by the worst verdict): every planned case,
/// pending until an attacker graded it. Runs passed are OK or NON-STRICT, failed the rest.
/// </summary>
public static class CaseProgressView
{
    public static CaseProgress[] For(RunPlan? plan, RunAccumulator? accumulator)
    {
        if (plan is null || accumulator is null) return [];
        var planned = plan.Groups.Where(g => g.Malformed is not null).SelectMany(g => g.Malformed!.Cases).Distinct().ToList();
        if (planned.Count == 0) return [];
        var tallies = accumulator.CasesSoFar.ToDictionary(t => t.Id);
        return [.. planned.Select(id =>
        {
            var tally = tallies.GetValueOrDefault(id);
            var passed = tally?.Verdicts.Where(v => Verdicts.Parse(v.Key) <= Verdict.NonStrict).Sum(v => v.Value) ?? 0;
            var failed = tally?.Verdicts.Where(v => Verdicts.Parse(v.Key) > Verdict.NonStrict).Sum(v => v.Value) ?? 0;
            var worst = tally?.Worst;
            return new CaseProgress
            {
                Id = id,
                Status = worst is null ? "pending" : Verdicts.Parse(worst) <= Verdict.NonStrict ? "pass" : "fail",
                Passed = passed,
                Failed = failed,
                Worst = worst,
            };
        })];
    }
}
