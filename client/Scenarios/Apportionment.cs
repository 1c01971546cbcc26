namespace SimCluster.Scenarios;

/// <summary>
/// Splits a whole number of clients by shares with the largest-remainder method: everyone gets the
/// floor of their exact quota, and the clients left over go to the largest fractional parts (ties to
/// the earlier group). Deterministic, and the counts always add up to the total.
/// </summary>
public static class Apportionment
{
    public static IReadOnlyList<int> Split(int total, IReadOnlyList<decimal> shares)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0)
            return [];
        if (shares.Any(s => s < 0))
            throw new ArgumentException("shares must not be negative", nameof(shares));
        var sum = shares.Sum();
        if (sum <= 0)
            throw new ArgumentException("shares must add up to more than zero", nameof(shares));

        // Normalising by the sum keeps this exact for shares that add up to 1 and sane for any others.
        var quotas = shares.Select(s => total * s / sum).ToArray();
        var counts = quotas.Select(q => (int)decimal.Floor(q)).ToArray();
        var left = total - counts.Sum();
        var byRemainder = Enumerable.Range(0, quotas.Length)
            .OrderByDescending(i => quotas[i] - counts[i])
            .ThenBy(i => i);                                   // OrderBy is stable anyway; this says it
        foreach (var i in byRemainder.Take(left))
            counts[i]++;
        return counts;
    }

    /// <summary>The same for fractional shares given as doubles (0.2 for 20%).</summary>
    public static IReadOnlyList<int> Split(int total, IReadOnlyList<double> shares) =>
        Split(total, shares.Select(s => (decimal)s).ToList());
}
