namespace SimCluster.Cli;

/// <summary>The CLI's exit codes (docs/security.md, "Exit codes"): CI scripts depend on them, so add, never renumber.</summary>
public static class ExitCodes
{
    public const int Passed = 0;
    public const int ThresholdFailed = 99;
    public const int InvalidInput = 104;
    public const int CouldNotRun = 105;
}
