using SimCluster.Transport.Malformed;

namespace SimCluster.Grains.Attacks;

/// <summary>One graded variant (or a whole case): the verdict and what was observed, for the report.</summary>
public sealed record CaseGrade(Verdict Verdict, string Observed, bool Applicable = true);

/// <summary>
/// Grades what a server did against what a strict server does, Autobahn-style. Pure: an expectation and an
/// observation in, a verdict out; the table per kind of expectation is the whole policy.
/// </summary>
public static class CaseGrader
{
    public static Verdict Grade(Expectation expected, Observation observed)
    {
        if (observed.Reaction == Reaction.NotApplicable) return Verdict.NotApplicable;
        return expected.Kind switch
        {
            ExpectKind.FailConnection => FailConnection(expected, observed),
            ExpectKind.Accept => Accept(observed),
            ExpectKind.CloseHandshake => CloseHandshake(expected, observed),
            ExpectKind.HttpReject => HttpReject(expected, observed),
            ExpectKind.Survive => Survive(expected, observed),
            ExpectKind.Limit => Limit(expected, observed),
            ExpectKind.HandshakeTimeout => HandshakeTimeout(observed),
            ExpectKind.ErrorReply => ErrorReply(observed),
            _ => throw new ArgumentOutOfRangeException(nameof(expected), expected.Kind, "unknown expectation"),
        };
    }

    /// <summary>RFC 7.1.7 "fail the WebSocket connection": a Close with the code, before accepting anything more.</summary>
    private static Verdict FailConnection(Expectation e, Observation o) => o.Reaction switch
    {
        Reaction.Closed when e.Allows(o.CloseCode) =>
            o.Tolerated ? e.WhenTolerated : o.Late || o.MissingExpectedEcho ? Verdict.NonStrict : Verdict.Ok,
        Reaction.Closed => o.Tolerated ? Verdicts.Worst(e.WhenTolerated, Verdict.WrongCode) : Verdict.WrongCode,
        Reaction.Dropped when o.Tolerated => e.WhenTolerated,
        Reaction.Dropped when e.DropAllowed => o.Late ? Verdict.NonStrict : Verdict.Ok,
        Reaction.Dropped => Verdict.Unclean,
        Reaction.Answered => e.WhenTolerated,
        Reaction.Silent => Verdict.Timeout,
        _ => Verdict.Failed,
    };

    /// <summary>Valid input: echoed exactly, PINGs answered (at once); any rejection is a false positive.</summary>
    private static Verdict Accept(Observation o) => o.Reaction switch
    {
        Reaction.Answered when o.EchoMismatch || o.PongMissing => Verdict.Failed,
        Reaction.Answered when o.PongLate => Verdict.NonStrict,
        Reaction.Answered => Verdict.Ok,
        Reaction.Silent => Verdict.Timeout,
        _ => Verdict.Failed,
    };

    /// <summary>The close handshake completes with the code; nothing sent after the client's Close is answered.</summary>
    private static Verdict CloseHandshake(Expectation e, Observation o) => o.Reaction switch
    {
        _ when o.DataAfterClose => Verdict.Failed,
        Reaction.Closed when e.Allows(o.CloseCode) => o.CleanClose ? Verdict.Ok : Verdict.NonStrict,
        Reaction.Closed => Verdict.WrongCode,
        Reaction.Dropped => Verdict.Unclean,
        Reaction.Silent => Verdict.Timeout,
        _ => Verdict.Failed,
    };

    /// <summary>A broken upgrade: an HTTP error status (with the required header), never 101.</summary>
    private static Verdict HttpReject(Expectation e, Observation o) => o.Reaction switch
    {
        Reaction.Http when o.HttpStatus is { } s && e.HttpStatuses.Contains(s) => o.HttpHeaderMissing ? Verdict.NonStrict : Verdict.Ok,
        Reaction.Http when o.HttpStatus == 101 => e.WhenTolerated,
        Reaction.Http when o.HttpStatus is not null => Verdict.WrongCode,
        Reaction.Dropped => Verdict.Unclean,
        Reaction.Silent => Verdict.Timeout,
        _ => Verdict.Failed,
    };

    /// <summary>Application garbage: keep serving, or close with a policy code; never crash or drop.</summary>
    private static Verdict Survive(Expectation e, Observation o) => o.Reaction switch
    {
        Reaction.Answered => Verdict.Ok,
        Reaction.Closed => e.Allows(o.CloseCode) ? Verdict.Ok : Verdict.WrongCode,
        Reaction.Dropped => Verdict.Unclean,
        Reaction.Silent => Verdict.Timeout,
        _ => Verdict.Failed,
    };

    /// <summary>A resource attack: a limit closes it with the code; serving on regardless is tolerated (NON-STRICT by default).</summary>
    private static Verdict Limit(Expectation e, Observation o) => o.Reaction switch
    {
        Reaction.Closed when e.Allows(o.CloseCode) => o.Late ? Verdict.NonStrict : Verdict.Ok,
        Reaction.Closed => o.Tolerated ? Verdicts.Worst(e.WhenTolerated, Verdict.WrongCode) : Verdict.WrongCode,
        Reaction.Answered => e.WhenTolerated,
        Reaction.Dropped => o.Tolerated ? e.WhenTolerated : Verdict.Unclean,
        Reaction.Silent => Verdict.Timeout,
        _ => Verdict.Failed,
    };

    /// <summary>An upgrade that never completes: the server gives up (drops it, or answers 4xx) before the deadline.</summary>
    private static Verdict HandshakeTimeout(Observation o) => o.Reaction switch
    {
        Reaction.Dropped => Verdict.Ok,
        Reaction.Http when o.HttpStatus is >= 400 and < 600 => Verdict.Ok,
        Reaction.Http when o.HttpStatus is 101 => Verdict.Failed,
        Reaction.Http => Verdict.WrongCode,
        Reaction.Silent => Verdict.Timeout,
        _ => Verdict.Failed,
    };

    /// <summary>
    /// A protocol mistake answered in band (Socket.IO's CONNECT_ERROR for an unknown namespace): the error message and
    /// the connection kept; serving on in silence leaves the client guessing (NON-STRICT); closing is another answer.
    /// </summary>
    private static Verdict ErrorReply(Observation o) => o.Reaction switch
    {
        Reaction.Answered => o.ErrorReplied ? Verdict.Ok : Verdict.NonStrict,
        Reaction.Closed => Verdict.WrongCode,
        Reaction.Dropped => Verdict.Unclean,
        Reaction.Silent => Verdict.Timeout,
        _ => Verdict.Failed,
    };

    /// <summary>Grades every variant of a run and merges them: the worst verdict, observed as its variant saw it.</summary>
    public static CaseGrade Grade(MalformedCase @case, IReadOnlyList<Observation> observations)
    {
        if (observations.Count == 0) throw new ArgumentException("nothing was observed", nameof(observations));
        var graded = observations.Select(o => (Observation: o, Verdict: Grade(@case.ExpectedFor(o.Variant), o))).ToList();
        var worst = graded.Max(g => g.Verdict);
        var applicable = graded.Any(g => g.Observation.Reaction != Reaction.NotApplicable);
        var unvaried = graded.Select(g => (g.Observation with { Variant = "" }).Describe()).Distinct().ToList();
        string observed;
        if (unvaried.Count == 1)
        {
            observed = unvaried[0] + (graded.Count > 1 ? $" (all {graded.Count} variants)" : "");
        }
        else
        {
            var worstOnes = graded.Where(g => g.Verdict == worst).Select(g => g.Observation.Describe()).ToList();
            var others = graded.Where(g => g.Verdict != worst).Select(g => $"{g.Observation.Describe()}").ToList();
            observed = string.Join("; ", worstOnes.Take(4)) + (worstOnes.Count > 4 ? $"; +{worstOnes.Count - 4} more" : "")
                + (others.Count > 0 ? $"; {others.Count} other variant(s): {string.Join("; ", others.Take(2))}" + (others.Count > 2 ? "; …" : "") : "");
        }
        return new CaseGrade(worst, observed, applicable);
    }
}
