using System.Globalization;
using SimCluster.Cli.Reports;

namespace SimCluster.Cli.Runs;

/// <summary>
/// A run's report folder, claimed before anything starts: an unusable <c>--out</c> (an existing file, a path
/// under one, a folder that cannot be written) is an error up front instead of a lost run, and two runs never
/// write into one folder. The claim is a lock file inside the folder, held open exclusively (an advisory
/// <c>flock</c> on Linux) for the run's whole life and removed at its end.
/// </summary>
public sealed class OutputFolder : IDisposable
{
    public const string LockName = ".simcluster-run.lock";

    /// <summary>Default folders tried per second before giving up (NAME-TIMESTAMP, NAME-TIMESTAMP-2, ...).</summary>
    private const int MaxSuffix = 1000;

    private readonly FileStream _lock;

    private OutputFolder(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    public string Path { get; }

    /// <summary>Why a folder could not be claimed, and whether that is the user's argument (104) or a clash with another run (105).</summary>
    public sealed record Refusal(string Message, bool InUse);

    /// <summary>
    /// Claims <paramref name="requested"/> (<c>--out</c>), or the first free default folder
    /// <c>simcluster-reports/NAME-TIMESTAMP[-N]</c>: one that holds no report and is not claimed by a running run.
    /// </summary>
    public static OutputFolder? Claim(string? requested, string scenarioName, DateTime localNow, out Refusal? refusal, string reportsRoot = "simcluster-reports")
    {
        if (requested is not null)
            return TryClaim(requested, out refusal, "--out");

        var stem = System.IO.Path.Combine(reportsRoot, $"{scenarioName}-{localNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        for (var n = 1; n <= MaxSuffix; n++)
        {
            var candidate = n == 1 ? stem : $"{stem}-{n}";
            if (File.Exists(System.IO.Path.Combine(candidate, ReportFiles.JsonName))) continue; // a finished run's
            var claimed = TryClaim(candidate, out refusal, "report folder");
            if (claimed is not null) return claimed;
            if (!refusal!.InUse) return null;
        }
        refusal = new Refusal($"report folder: {MaxSuffix} runs of '{scenarioName}' started in the same second; give --out", InUse: true);
        return null;
    }

    private static OutputFolder? TryClaim(string folder, out Refusal? refusal, string what)
    {
        refusal = null;
        if (File.Exists(folder))
        {
            refusal = new Refusal($"{what}: '{folder}' is a file, not a folder; give a folder for the report", InUse: false);
            return null;
        }
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            refusal = new Refusal($"{what}: cannot create the folder '{folder}': {e.Message}", InUse: false);
            return null;
        }
        var lockPath = System.IO.Path.Combine(folder, LockName);
        try
        {
            // FileShare.None takes an exclusive flock: a second run (any process) cannot open it while this one lives.
            var lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
            lockFile.SetLength(0);
            lockFile.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
            lockFile.Flush();
            return new OutputFolder(folder, lockFile);
        }
        catch (UnauthorizedAccessException e)
        {
            refusal = new Refusal($"{what}: cannot write into '{folder}': {e.Message}", InUse: false);
        }
        catch (IOException)
        {
            refusal = new Refusal($"{what}: '{folder}' is in use by another run that is writing its report there; give another --out", InUse: true);
        }
        return null;
    }

    public void Dispose()
    {
        _lock.Dispose();
        try { File.Delete(System.IO.Path.Combine(Path, LockName)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a stale lock file is harmless: nobody holds it
    }
}
