namespace SimCluster.Cli;

/// <summary>Exit codes of CONTRACT.md section 1.</summary>
public static class ExitCodes
{
    public const int Passed = 0;
    public const int ThresholdFailed = 99;
    public const int InvalidInput = 104;
    public const int CouldNotRun = 105;
    /// <summary>
    /// The run started but did not complete (Ctrl-C, SIGTERM, a silo lost, the run failed): report.json was
    /// written with <c>"partial": true</c> and <c>partialReason</c>. Added by issue 10 (extends CONTRACT.md).
    /// </summary>
    public const int Partial = 106;
}
