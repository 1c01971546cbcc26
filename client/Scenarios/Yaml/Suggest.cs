namespace SimCluster.Scenarios.Yaml;

/// <summary>"did you mean" for typos: the closest known name by edit distance, if it is close enough.</summary>
public static class Suggest
{
    public static string? Closest(string typed, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        // One edit for short words, up to two for longer ones; beyond that a suggestion is more noise than help.
        var allowed = Math.Max(1, Math.Min(2, typed.Length / 3));
        var lower = typed.ToLowerInvariant();
        foreach (var candidate in known)
        {
            // The distance is at least the difference in length: skip the table (a long typo costs nothing).
            if (Math.Abs(candidate.Length - typed.Length) > allowed)
                continue;
            var d = Distance(lower, candidate.ToLowerInvariant());
            if (d < bestDistance) { best = candidate; bestDistance = d; }
        }
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>" - did you mean 'clients'?" or "".</summary>
    public static string DidYouMean(string typed, IEnumerable<string> known) =>
        Closest(typed, known) is { } s ? $" - did you mean {Excerpt.Quote(s)}?" : "";

    /// <summary>Sorted, comma-separated, for "valid: a, b, c".</summary>
    public static string List(IEnumerable<string> names) => string.Join(", ", names.Order(StringComparer.Ordinal));

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours ("clinets").</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
