namespace SimCluster.Cli;

/// <summary>Exit codes of CONTRACT.md section 1.</summary>
public static class ExitCodes
{
    public const int Passed = 0;
    public const int ThresholdFailed = 99;
    public const int InvalidInput = 104;
    public const int CouldNotRun = 105;
}
