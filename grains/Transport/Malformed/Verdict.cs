namespace SimCluster.Transport.Malformed;

/// <summary>
/// Autobahn-style case verdicts, from best to worst: the order is the severity used when several runs of a
/// case are merged into one (the worst wins, so a case graded at all is never "not applicable").
/// </summary>
public enum Verdict
{
    /// <summary>The case needs something the server did not offer (F23 without permessage-deflate): nothing to grade.</summary>
    NotApplicable,
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
    public const string NotApplicableName = "NOT-APPLICABLE";

    /// <summary>
    /// A planned case without any graded run in the report: every attempt failed to connect, or no attacker ran
    /// it before the run ended. Not a grade of the server; counted in <c>malformed_cases_not_run</c>.
    /// </summary>
    public const string NotRun = "NOT-RUN";

    /// <summary>The report's names: NOT-APPLICABLE, OK, NON-STRICT, WRONG-CODE, UNCLEAN, FAILED, TIMEOUT.</summary>
    public static string Name(this Verdict verdict) => verdict switch
    {
        Verdict.NotApplicable => NotApplicableName,
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
        NotApplicableName => Verdict.NotApplicable,
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
