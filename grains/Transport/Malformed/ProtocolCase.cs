using System.Text;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed;

/// <summary>
/// Protocol-level garbage in valid frames, for a server that speaks <see cref="MalformedCase.Protocol"/> (Socket.IO's
/// S cases, graphql-ws's G cases): upgrade as the protocol's client does (the run's connect options already carry
/// Engine.IO's path and query, or the graphql-transport-ws offer), complete the protocol's handshake, send the
/// violation and a probe PING, and watch what the server does. A run of another protocol makes the case NOT-APPLICABLE.
/// </summary>
public abstract class ProtocolCase : MalformedCase
{
    /// <summary>A protocol server answers from an event loop: a loaded one needs longer than a frame parser.</summary>
    public override TimeSpan Deadline => TimeSpan.FromSeconds(5);

    public override string RfcSection => Protocol switch
    {
        ProtocolKind.Socketio => "Socket.IO v5 / Engine.IO v4",
        ProtocolKind.GraphqlWs => "graphql-transport-ws",
        _ => "-",
    };

    /// <summary>The protocol's handshake before the violation; a non-null result ends the variant with it (the server is not that protocol's).</summary>
    protected abstract Task<Observation?> HandshakeAsync(CaseSession session, CancellationToken ct);

    protected abstract Task SendAsync(CaseSession session, string variant, CancellationToken ct);

    /// <summary>ErrorReply cases: the server message that is the protocol's error answer to the violation.</summary>
    protected virtual bool IsErrorReply(string text) => false;

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        if (!ProtocolCases.Speaks(context.Connect, Protocol))
            return new Observation { Reaction = Reaction.NotApplicable, Variant = variant, Detail = $"the run's protocol is not {Protocol?.Spelled()}" };
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct, ProtocolCases.UpgradeHeaders(context.Connect)).ConfigureAwait(false);
        if (await HandshakeAsync(session, ct).ConfigureAwait(false) is { } refused) return refused with { Variant = variant };
        var mark = session.Reader.Events.Count;
        if (await CaseSession.TrySendAsync(() => SendAsync(session, variant, ct)).ConfigureAwait(false))
            await session.SendProbeAsync(ct).ConfigureAwait(false);
        if (Expected.Kind != ExpectKind.ErrorReply)
            return await session.ObserveAsync(ct, echoesTolerate: false).ConfigureAwait(false) with { Variant = variant };

        bool Replied(IReadOnlyList<ServerEvent> events) => events.Skip(mark).Any(e => e.Kind == ServerEventKind.Message && IsErrorReply(ProtocolCases.Text(e)));
        await session.WaitAsync(e => e.Any(x => x.Kind == ServerEventKind.Close || x.IsEnd) || (Replied(e) && session.ProbeAnswered(e)), ct).ConfigureAwait(false);
        var observation = await session.ConcludeAsync(legitEchoes: 0, echoesTolerate: false, replyToClose: true, ct).ConfigureAwait(false);
        if (observation.Reaction != Reaction.Answered) return observation with { Variant = variant };
        var reply = session.Reader.Events.Skip(mark).FirstOrDefault(e => e.Kind == ServerEventKind.Message && IsErrorReply(ProtocolCases.Text(e)));
        return observation with
        {
            Variant = variant,
            ErrorReplied = reply is not null,
            Detail = reply is not null ? $"answered {ProtocolCases.Text(reply)}, kept serving" : "kept serving without an error message",
        };
    }
}

/// <summary>What the protocol cases share: recognising the run's protocol from its connect options, and reading server text.</summary>
public static class ProtocolCases
{
    /// <summary>The subprotocol graphql-ws servers require (they close 4406 without it).</summary>
    public const string GraphqlTransportWs = "graphql-transport-ws";

    /// <summary>How long a handshake step may take before the case gives up on the server being one of the protocol's.</summary>
    private static readonly TimeSpan HandshakeStep = TimeSpan.FromSeconds(3);

    /// <summary>Whether the connect options are those of a <paramref name="protocol"/> client (Engine.IO's query, the graphql-transport-ws offer).</summary>
    public static bool Speaks(ConnectOptions options, ProtocolKind? protocol) => protocol switch
    {
        null => true,
        ProtocolKind.Socketio => options.Target.Query.Contains("EIO=4", StringComparison.Ordinal) && options.Target.Query.Contains("transport=websocket", StringComparison.Ordinal),
        ProtocolKind.GraphqlWs => options.SubProtocols.Contains(GraphqlTransportWs),
        _ => false,
    };

    /// <summary>The raw upgrade offers the run's subprotocols, as the protocol's client does.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> UpgradeHeaders(ConnectOptions options) =>
        options.SubProtocols.Count == 0 ? [] : [new("Sec-WebSocket-Protocol", string.Join(", ", options.SubProtocols))];

    /// <summary>The start of a server text message (the reader keeps 64 bytes).</summary>
    public static string Text(ServerEvent e) => Encoding.UTF8.GetString(e.Head);

    /// <summary>Waits for a server text message starting with one of <paramref name="prefixes"/> after event <paramref name="from"/>; null: none came, or the server ended the connection.</summary>
    public static async Task<string?> AwaitMessageAsync(CaseSession session, int from, CancellationToken ct, params string[] prefixes)
    {
        string? Found(IReadOnlyList<ServerEvent> events) => events.Skip(from)
            .Where(e => e.Kind == ServerEventKind.Message).Select(Text)
            .FirstOrDefault(t => prefixes.Any(p => t.StartsWith(p, StringComparison.Ordinal)));
        await session.WaitAsync(e => Found(e) is not null || e.Any(x => x.Kind == ServerEventKind.Close || x.IsEnd), ct, HandshakeStep).ConfigureAwait(false);
        return Found(session.Reader.Events);
    }

    /// <summary>The observation of a server that did not complete the protocol's handshake: the case does not apply to it.</summary>
    public static Observation NotTheProtocol(string why) => new() { Reaction = Reaction.NotApplicable, Detail = why };

    /// <summary>
    /// Engine.IO open (<c>0{sid,...}</c>), then a connect to the main namespace (<c>40</c>), answered by CONNECT
    /// (<c>40{sid}</c>) or CONNECT_ERROR (<c>44</c>, a middleware's refusal: the engine-level cases still apply).
    /// </summary>
    public static async Task<Observation?> SocketioHandshakeAsync(CaseSession session, bool connectNamespace, CancellationToken ct)
    {
        if (await AwaitMessageAsync(session, 0, ct, "0{").ConfigureAwait(false) is null)
            return NotTheProtocol("no Engine.IO open packet after the upgrade");
        if (!connectNamespace) return null;
        var from = session.Reader.Events.Count;
        if (!await session.TrySendAsync(FrameSpec.Text("40"), ct).ConfigureAwait(false) || await AwaitMessageAsync(session, from, ct, "40", "44").ConfigureAwait(false) is null)
            return NotTheProtocol("the main namespace connect (40) was not answered");
        return null;
    }

    /// <summary><c>connection_init</c>, answered by <c>connection_ack</c>; a server that wants a token in the init refuses it (4403), and the case does not apply.</summary>
    public static async Task<Observation?> GraphqlInitAsync(CaseSession session, CancellationToken ct)
    {
        var from = session.Reader.Events.Count;
        if (!await session.TrySendAsync(FrameSpec.Text("{\"type\":\"connection_init\"}"), ct).ConfigureAwait(false)
            || await AwaitMessageAsync(session, from, ct, "{\"type\":\"connection_ack\"").ConfigureAwait(false) is null)
            return NotTheProtocol("connection_init was not acknowledged (a server that wants a token in it)");
        return null;
    }
}
