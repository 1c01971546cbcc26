namespace SimCluster.Transport.Malformed;

/// <summary>What kind of reaction a strict server shows to a case; it decides how an observation is graded.</summary>
public enum ExpectKind
{
    /// <summary>Fail the WebSocket connection: a Close frame with one of the codes (RFC 6455 7.1.7).</summary>
    FailConnection,
    /// <summary>Valid (if unusual) input: echo it exactly (and answer PINGs); closing is a false positive.</summary>
    Accept,
    /// <summary>Complete the close handshake with the code, ignoring everything sent after the client's Close.</summary>
    CloseHandshake,
    /// <summary>A broken upgrade request: answer with one of the HTTP statuses, never 101.</summary>
    HttpReject,
    /// <summary>Application-level garbage in valid frames: keep serving, or close with a policy code.</summary>
    Survive,
    /// <summary>A resource attack: enforce a limit and close with one of the codes; tolerating it is NON-STRICT.</summary>
    Limit,
    /// <summary>A connection that never completes its upgrade: the server must give up on it before the deadline.</summary>
    HandshakeTimeout,
    /// <summary>A protocol-level mistake a server answers in band: its error message (Socket.IO's CONNECT_ERROR), connection kept.</summary>
    ErrorReply,
}

/// <summary>The strict behaviour a case expects, in a form the grader can check and a report can print.</summary>
public sealed record Expectation(ExpectKind Kind)
{
    /// <summary>Acceptable close codes (FailConnection, CloseHandshake, Survive, Limit).</summary>
    public IReadOnlyList<int> CloseCodes { get; init; } = [];

    /// <summary>Close codes 4000-4999 (application-defined) are acceptable too (Survive).</summary>
    public bool ApplicationCodesAllowed { get; init; }

    /// <summary>Any Close frame is acceptable, with or without a code (a server that closes its session on a protocol error).</summary>
    public bool AnyCode { get; init; }

    /// <summary>A TCP drop without a Close frame is acceptable (the RFC's "or drop" for broken Close frames).</summary>
    public bool DropAllowed { get; init; }

    /// <summary>The verdict for a server that tolerates the input (keeps serving, echoes it).</summary>
    public Verdict WhenTolerated { get; init; } = Verdict.Failed;

    /// <summary>HttpReject: acceptable statuses.</summary>
    public IReadOnlyList<int> HttpStatuses { get; init; } = [];

    /// <summary>HttpReject: a header the response must carry (name, value), e.g. Sec-WebSocket-Version: 13 with a 426.</summary>
    public (string Name, string Value)? RequiredHeader { get; init; }

    /// <summary>Overrides <see cref="Describe"/> (a case whose variants expect different things states them together).</summary>
    public string? Text { get; init; }

    public static Expectation Fail(params int[] codes) => new(ExpectKind.FailConnection) { CloseCodes = codes };

    public static Expectation FailOrDrop(params int[] codes) => new(ExpectKind.FailConnection) { CloseCodes = codes, DropAllowed = true };

    public static Expectation Accept() => new(ExpectKind.Accept);

    public static Expectation CleanClose(int code) => new(ExpectKind.CloseHandshake) { CloseCodes = [code] };

    public static Expectation Http(params int[] statuses) => new(ExpectKind.HttpReject) { HttpStatuses = statuses };

    /// <summary>Policy closes an application may use on bad input: unsupported data, invalid payload, policy, too big.</summary>
    public static Expectation Survive() => new(ExpectKind.Survive) { CloseCodes = [1003, 1007, 1008, 1009], ApplicationCodesAllowed = true };

    public static Expectation Limit(params int[] codes) => new(ExpectKind.Limit) { CloseCodes = codes, WhenTolerated = Verdict.NonStrict };

    public static Expectation GiveUpHandshake() => new(ExpectKind.HandshakeTimeout);

    /// <summary>End the connection: a Close frame with any code (or none), or a drop (Engine.IO closes its session on a parse error).</summary>
    public static Expectation CloseAnyOrDrop() => new(ExpectKind.FailConnection) { AnyCode = true, DropAllowed = true };

    /// <summary>Answer with the protocol's error message (described by <paramref name="reply"/>) and keep serving.</summary>
    public static Expectation Reply(string reply) => new(ExpectKind.ErrorReply) { Text = $"answer {reply}, keep serving" };

    public bool Allows(int? closeCode) =>
        AnyCode || closeCode is { } c && (CloseCodes.Contains(c) || (ApplicationCodesAllowed && c is >= 4000 and <= 4999));

    /// <summary>For the report's <c>expected</c>: "close 1002", "close 1002 or drop", "HTTP 400/431", ...</summary>
    public string Describe() => Text ?? Kind switch
    {
        ExpectKind.FailConnection => (AnyCode ? "close (any code)" : $"close {Codes()}") + (DropAllowed ? " or drop" : ""),
        ExpectKind.Accept => "accept (echo)",
        ExpectKind.CloseHandshake => $"clean close {Codes()}, nothing after the Close",
        ExpectKind.HttpReject => $"HTTP {string.Join('/', HttpStatuses)}" + (RequiredHeader is { } h ? $" with {h.Name}: {h.Value}" : ""),
        ExpectKind.Survive => $"keep serving, or close {Codes()}" + (ApplicationCodesAllowed ? "/4xxx" : ""),
        ExpectKind.Limit => $"close {Codes()} (a limit)",
        ExpectKind.HandshakeTimeout => "drop the connection (handshake timeout)",
        ExpectKind.ErrorReply => "answer with the protocol's error message, keep serving",
        _ => Kind.ToString(),
    };

    private string Codes() => string.Join('/', CloseCodes);
}
