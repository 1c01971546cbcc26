namespace SimCluster.Transport.Malformed;

/// <summary>The server's reaction to one run of a case (one connection), before grading.</summary>
public enum Reaction
{
    /// <summary>The server sent a Close frame.</summary>
    Closed,
    /// <summary>The server ended the TCP connection (FIN or RST) without a Close frame.</summary>
    Dropped,
    /// <summary>The server kept serving: it echoed, or answered the probe PING, and did not close.</summary>
    Answered,
    /// <summary>Nothing at all within the deadline.</summary>
    Silent,
    /// <summary>An HTTP response to an upgrade request (handshake cases).</summary>
    Http,
    /// <summary>The case does not apply to this server (F23 without permessage-deflate).</summary>
    NotApplicable,
}

/// <summary>
/// What one connection of a case saw, as facts for the grader: the reaction and the details that make a
/// verdict (was it late, was garbage echoed, did the close handshake complete).
/// </summary>
public sealed record Observation
{
    public required Reaction Reaction { get; init; }

    /// <summary>Which variant of the case (F11: the invalid sequence; F17: the close code); empty when the case has one.</summary>
    public string Variant { get; init; } = "";

    /// <summary>Closed: the server's close code (null: no code, or a malformed Close payload).</summary>
    public int? CloseCode { get; init; }

    public string? CloseReason { get; init; }

    /// <summary>Closed: the server also closed the TCP connection (FIN) after the Close frames, within the deadline.</summary>
    public bool CleanClose { get; init; }

    /// <summary>Dropped: by RST rather than FIN.</summary>
    public bool ByReset { get; init; }

    /// <summary>The server accepted the offending input: echoed it, or answered the probe PING sent after it.</summary>
    public bool Tolerated { get; init; }

    /// <summary>The server failed the connection, but only after later input (after the final fragment, after answering the probe).</summary>
    public bool Late { get; init; }

    /// <summary>A valid message sent before the violation was not echoed before the connection failed.</summary>
    public bool MissingExpectedEcho { get; init; }

    /// <summary>Accept: what came back differs from what was sent.</summary>
    public bool EchoMismatch { get; init; }

    /// <summary>Accept: a PING inside a fragmented message was answered only after the message was complete.</summary>
    public bool PongLate { get; init; }

    /// <summary>Accept: a PING got no PONG at all.</summary>
    public bool PongMissing { get; init; }

    /// <summary>ErrorReply: the protocol's error message for the input arrived.</summary>
    public bool ErrorReplied { get; init; }

    /// <summary>CloseHandshake: the server answered data sent after the client's Close.</summary>
    public bool DataAfterClose { get; init; }

    /// <summary>Http: the status code.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>Http: the required header (see <see cref="Expectation.RequiredHeader"/>) was missing or wrong.</summary>
    public bool HttpHeaderMissing { get; init; }

    /// <summary>Frames from the server that break the RFC themselves (masked, RSV bits, reserved opcode, ...).</summary>
    public string? ServerAnomaly { get; init; }

    /// <summary>Free text: what was echoed, why not applicable, ...</summary>
    public string? Detail { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>For the report's <c>observed</c>: "close 1002", "echoed it", "TCP RST without a Close frame", ...</summary>
    public string Describe()
    {
        var text = Reaction switch
        {
            Reaction.Closed => (CloseCode is { } c ? $"close {c}" : "close without a valid code")
                + (CleanClose ? "" : ByReset ? ", then RST" : ", TCP left open")
                + (Late ? " (late)" : "") + (Tolerated ? " after accepting the input" : "") + (DataAfterClose ? " after answering data sent after the Close" : "")
                + (MissingExpectedEcho ? " before echoing the valid message" : ""),
            Reaction.Dropped => $"TCP {(ByReset ? "RST" : "FIN")} without a Close frame" + (Tolerated ? " after accepting the input" : ""),
            Reaction.Answered => Detail ?? "kept serving",
            Reaction.Silent => $"no reaction within {Elapsed.TotalSeconds:0.#} s",
            Reaction.Http => HttpStatus is { } s ? $"HTTP {s}" + (HttpHeaderMissing ? " without the required header" : "") : Detail ?? "HTTP",
            Reaction.NotApplicable => "not applicable: " + (Detail ?? "the server did not negotiate what the case needs"),
            _ => Reaction.ToString(),
        };
        if (Reaction is not Reaction.Answered and not Reaction.NotApplicable && Detail is not null && Reaction != Reaction.Http) text += $" ({Detail})";
        if (ServerAnomaly is not null) text += $"; server frames: {ServerAnomaly}";
        return Variant.Length > 0 ? $"[{Variant}] {text}" : text;
    }
}
