using SimCluster.Transport;

namespace SimCluster.Cli.Runs;

/// <summary>
/// The tool never points its clients at an address nobody named: loopback targets are always allowed,
/// anything else only when its host is on the allow-list (<c>--allow-target</c> or <c>allowTargets</c>).
/// </summary>
public static class TargetGuard
{
    public static IReadOnlyList<string> Check(IEnumerable<Uri> targets, IEnumerable<string> allowList)
    {
        var allowed = new HashSet<string>(allowList, StringComparer.OrdinalIgnoreCase);
        var errors = new List<string>();
        foreach (var target in targets)
        {
            if (IsLoopback(target) || allowed.Contains(target.Host) || allowed.Contains(target.Authority)) continue;
            errors.Add($"target {target} is not on loopback and not allow-listed: add '--allow-target {target.Host}' or list it under 'allowTargets' if you really mean to load that host");
        }
        return errors;
    }

    /// <summary>
    /// Written as loopback, by the same rule every connection is checked with when it is made
    /// (<see cref="EgressRule"/>): such a target is then only ever connected to at a loopback address.
    /// </summary>
    public static bool IsLoopback(Uri target) => EgressRule.IsLoopbackName(target.DnsSafeHost);
}
