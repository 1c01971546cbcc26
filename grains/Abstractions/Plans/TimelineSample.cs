namespace SimCluster.Abstractions.Plans;

/// <summary>
/// Which clients keep an event timeline for the report. Deterministic: the same plan picks the same clients.
/// Groups take turns (one client each, round-robin in plan order) so a small sample still covers every
/// behaviour; within a group the picks are spread evenly over its index range. Malformed attackers are left
/// out: they skip the network state machine (their story is the case matrix).
/// </summary>
public static class TimelineSample
{
    public const int DefaultCount = 10;
    public const int MaxCount = 200;

    public static int[] Pick(IReadOnlyList<GroupPlan> groups, int count)
    {
        var eligible = groups.Where(g => g.Malformed is null && g.Clients > 0).ToList();
        if (count <= 0 || eligible.Count == 0) return [];
        var perGroup = new int[eligible.Count];
        var remaining = count;
        while (remaining > 0)
        {
            var added = false;
            for (var g = 0; g < eligible.Count && remaining > 0; g++)
            {
                if (perGroup[g] >= eligible[g].Clients) continue;
                perGroup[g]++;
                remaining--;
                added = true;
            }
            if (!added) break; // fewer clients than asked for: every one of them
        }
        var picked = new List<int>();
        for (var g = 0; g < eligible.Count; g++)
        {
            var group = eligible[g];
            var k = perGroup[g];
            for (var j = 0; j < k; j++) picked.Add(group.FirstClient + (int)((long)group.Clients * j / k));
        }
        picked.Sort();
        return [.. picked];
    }
}
