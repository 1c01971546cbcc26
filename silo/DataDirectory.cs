namespace SimCluster.Silo;

/// <summary>
/// The control API's data directory (<c>--data-dir</c>), checked before the silo starts: a run started over
/// HTTP writes its scenario and report there, so a directory that cannot be created or written is said at
/// start-up, naming it, instead of failing every POST /api/runs.
/// </summary>
public static class DataDirectory
{
    /// <summary>Null when <paramref name="path"/> is (or could be made) a writable directory; else what is wrong with it.</summary>
    public static string? Problem(string path)
    {
        var full = Path.GetFullPath(path);
        const string fix = "pick a writable directory (in Kubernetes, mount a volume such as an emptyDir there)";
        if (File.Exists(full)) return $"--data-dir {full} is a file, not a directory; {fix}";
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"--data-dir {full} cannot be created: {e.Message}; {fix}";
        }
        var probe = Path.Combine(full, $".simcluster-write-check-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"--data-dir {full} is not writable: {e.Message}; {fix}";
        }
    }
}
