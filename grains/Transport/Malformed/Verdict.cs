namespace SimCluster.Transport.Malformed;

/// <summary>
/// Autobahn-style case verdicts (CONTRACT.md section 3), from best to worst: the order is the severity used
/// when several runs of a case are merged into one (the worst wins).
/// </summary>
public enum Verdict
{
    /// <summary>The expected close code, or the expected acceptance, in time.</summary>
    Ok,
    /// <summary>Tolerated where the RFC says fail (and the RFC leaves room), or failed late.</summary>
    NonStrict,
    /// <summary>Failed the connection, but with another close code (or HTTP status) than expected.</summary>
    WrongCode,
    /// <summary>Dropped the TCP connection without a close handshake where one was expected.</summary>
    Unclean,
    /// <summary>Accepted what must be rejected, echoed garbage, or rejected valid input.</summary>
    Failed,
    /// <summary>No reaction at all within the case's deadline.</summary>
    Timeout,
}

public static class Verdicts
{
    /// <summary>The contract's names: OK, NON-STRICT, WRONG-CODE, UNCLEAN, FAILED, TIMEOUT.</summary>
    public static string Name(this Verdict verdict) => verdict switch
    {
        Verdict.Ok => "OK",
        Verdict.NonStrict => "NON-STRICT",
        Verdict.WrongCode => "WRONG-CODE",
        Verdict.Unclean => "UNCLEAN",
        Verdict.Failed => "FAILED",
        Verdict.Timeout => "TIMEOUT",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict)),
    };

    public static Verdict Parse(string name) => name switch
    {
        "OK" => Verdict.Ok,
        "NON-STRICT" => Verdict.NonStrict,
        "WRONG-CODE" => Verdict.WrongCode,
        "UNCLEAN" => Verdict.Unclean,
        "FAILED" => Verdict.Failed,
        "TIMEOUT" => Verdict.Timeout,
        _ => throw new ArgumentException($"unknown verdict '{name}'", nameof(name)),
    };

    public static IReadOnlyList<Verdict> All { get; } = Enum.GetValues<Verdict>();

    public static Verdict Worst(Verdict a, Verdict b) => a >= b ? a : b;
}
