namespace SimCluster.Scenarios;

/// <summary>
/// Bounds checked before (or while) a scenario is parsed, so that no input, from a file, <c>--set</c> or the
/// control API, can exhaust the stack, the memory or the time of the process that reads it.
/// </summary>
public static class ScenarioLimits
{
    /// <summary>Largest scenario text, in bytes (a real scenario is a few KB; 100,000 keys fit).</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>Deepest nesting of mappings and lists (a real scenario nests four levels).</summary>
    public const int MaxDepth = 256;

    public static string TooLarge(long size) =>
        $"the scenario is larger than the limit of {MaxBytes / (1024 * 1024)} MiB{(size > MaxBytes ? $" ({size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)})" : "")}; scenario files are a few KB, is this the right file?";

    public static string TooDeep => $"mappings and lists are nested more than {MaxDepth} levels deep here; a scenario needs a handful";
}
