using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed;

/// <summary>
/// One malformed-input case (docs/malformed.md): what it sends, what a strict server does, and how to
/// watch for it. Each case is a small sealed class in Cases/, registered in <see cref="CaseCatalogue"/>.
/// A case with several variants (F11's five invalid sequences, F17's ten close codes) runs one connection per
/// variant; its verdict is the worst of theirs.
/// </summary>
public abstract class MalformedCase
{
    /// <summary>F01..F25 (RFC 6455 frames and handshakes), A01..A08 (application-level), S01.. (Socket.IO), G01.. (graphql-ws).</summary>
    public abstract string Id { get; }

    public abstract string Title { get; }

    /// <summary>The protocol whose messages the case breaks; null: any WebSocket server (the F and A cases).</summary>
    public virtual ProtocolKind? Protocol => null;

    /// <summary>The RFC 6455 section the strict behaviour comes from ("-" for application-level cases).</summary>
    public abstract string RfcSection { get; }

    /// <summary>The strict behaviour, as the report states it.</summary>
    public abstract Expectation Expected { get; }

    /// <summary>The expectation one variant is graded against (the same for most cases; F24 and F25 differ per variant).</summary>
    public virtual Expectation ExpectedFor(string variant) => Expected;

    /// <summary>How long one variant may watch the server before its silence counts as TIMEOUT.</summary>
    public virtual TimeSpan Deadline => TimeSpan.FromSeconds(3);

    /// <summary>Variant labels; one empty label for a case with a single form.</summary>
    public virtual IReadOnlyList<string> Variants { get; } = [""];

    /// <summary>Runs one variant on its own connection. Throws <see cref="ConnectFailedException"/> when the case cannot start.</summary>
    public abstract Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct);

    public override string ToString() => $"{Id} {Title}";
}

/// <summary>
/// The common frame case: upgrade, send the violation, send a probe PING, and watch. A strict server fails the
/// connection with the expected code and never answers the probe.
/// </summary>
public abstract class FrameViolationCase : MalformedCase
{
    /// <summary>Valid messages sent before the violation that a strict server echoes first.</summary>
    protected virtual int LegitEchoes => 0;

    protected abstract Task SendAsync(CaseSession session, string variant, CancellationToken ct);

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        if (await CaseSession.TrySendAsync(() => SendAsync(session, variant, ct)).ConfigureAwait(false))
            await session.SendProbeAsync(ct).ConfigureAwait(false);
        return await session.ObserveAsync(ct, LegitEchoes).ConfigureAwait(false) with { Variant = variant };
    }
}

/// <summary>
/// Application-level garbage inside valid frames (A01..A08): the server may echo it, ignore it, or close with a
/// policy code; it must not crash, drop the connection or stop answering (the probe PING tells).
/// </summary>
public abstract class AppMutationCase : MalformedCase
{
    public override string RfcSection => "-";

    public override Expectation Expected => Expectation.Survive();

    /// <summary>The frames to send; <paramref name="context"/> gives the clock any timestamp comes from.</summary>
    protected abstract IEnumerable<FrameSpec> Frames(CaseContext context);

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        if (await CaseSession.TrySendAsync(() => session.Writer.SendAsync(Frames(context), ct)).ConfigureAwait(false))
            await session.SendProbeAsync(ct).ConfigureAwait(false);
        return await session.ObserveAsync(ct, echoesTolerate: false).ConfigureAwait(false) with { Variant = variant };
    }
}

/// <summary>
/// A broken Close frame from the client (F14..F17): a strict server answers with a Close carrying 1002 (or the
/// listed code), or drops the TCP connection; echoing the client's Close back is a wrong code.
/// </summary>
public abstract class CloseFrameCase : MalformedCase
{
    protected abstract FrameSpec CloseFrame(string variant);

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        await session.TrySendAsync(CloseFrame(variant), ct).ConfigureAwait(false);
        return await session.ObserveAsync(ct, replyToClose: false).ConfigureAwait(false) with { Variant = variant };
    }
}

/// <summary>
/// Valid input a server must accept (F10, F13): the message comes back exactly, and a PING sent along gets its
/// PONG. Closing or dropping is a false positive.
/// </summary>
public abstract class AcceptCase : MalformedCase
{
    public override Expectation Expected => Expectation.Accept();

    /// <summary>The bytes of the message the server should echo.</summary>
    protected abstract byte[] Message(string variant);

    /// <summary>Sends the message (in whatever framing the case tests).</summary>
    protected abstract Task SendAsync(CaseSession session, string variant, CancellationToken ct);

    /// <summary>A PING travels with the message (its payload is the session's probe): its PONG must come back, before the echo.</summary>
    protected virtual bool WithPing => false;

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        var expected = Message(variant);
        var hash = Fnv64.Of(expected);
        bool IsEcho(ServerEvent e) => e.Kind == ServerEventKind.Message && e.Length == expected.Length && e.Hash == hash;
        await CaseSession.TrySendAsync(() => SendAsync(session, variant, ct)).ConfigureAwait(false);
        await session.WaitAsync(e => e.Any(x => x.Kind == ServerEventKind.Close || x.IsEnd)
            || (e.Any(IsEcho) && (!WithPing || e.Any(session.IsProbePong))), ct).ConfigureAwait(false);
        var observation = await session.ConcludeAsync(legitEchoes: int.MaxValue, echoesTolerate: false, replyToClose: true, ct).ConfigureAwait(false);
        var events = session.Reader.Events;
        var echo = events.FirstOrDefault(IsEcho);
        var other = events.FirstOrDefault(e => e.Kind == ServerEventKind.Message && !IsEcho(e));
        var pong = events.FirstOrDefault(session.IsProbePong);
        if (observation.Reaction != Reaction.Answered) return observation with { Variant = variant };
        var mismatch = echo is null;
        return observation with
        {
            Variant = variant,
            EchoMismatch = mismatch,
            PongMissing = WithPing && pong is null,
            PongLate = WithPing && pong is not null && echo is not null && pong.At > echo.At,
            Detail = mismatch ? $"echoed something else: {other}" : echo is null ? "no echo" : WithPing && pong is null ? "echoed it, no PONG" : "echoed it",
        };
    }
}
