using SimCluster.Grains.Auth;
using SimCluster.Transport;

namespace SimCluster.Grains.Protocols;

/// <summary>
/// What runs on an open connection, and its accounting: the post-upgrade handshake, the client's sends and
/// their correlation with answers (RTT, lost, duplicated, reordered, late), server pushes and server pings,
/// the application-level heartbeat, resumption after a reconnect and the frames of an in-band token refresh.
/// One file per protocol, created by <see cref="ProtocolRegistry"/> from the plan's <c>protocol</c>.
/// The client calls it from its turns, timers and socket threads; implementations guard their own state.
/// </summary>
public interface IProtocol : IDisposable
{
    /// <summary>
    /// True when the connection is ready for the application as soon as it is attached. False when a handshake
    /// on the open WebSocket must complete first (the session's hello/welcome; SignalR's handshake response,
    /// Engine.IO's open packet, graphql-transport-ws's connection_ack): <see cref="Ready"/> says when it did.
    /// A protocol holds its sends until then.
    /// </summary>
    bool ReadyOnAttach { get; }

    /// <summary>
    /// Raised (on a socket thread) when the handshake of a connection completed; true when the server resumed the
    /// client's session, false when it started a new one. Never raised by a protocol that is ready on attach.
    /// </summary>
    event Action<bool>? Ready;

    /// <summary>
    /// Whether what is unanswered when a connection ends is kept and replayed over the next one (a resumable
    /// session), rather than counted interrupted at once.
    /// </summary>
    bool Resumes { get; }

    /// <summary>
    /// What the protocol needs in the upgrade request, applied once to the client's connect options: a
    /// <c>Sec-WebSocket-Protocol</c> header (graphql-transport-ws), a path or query (Engine.IO's
    /// <c>?EIO=4&amp;transport=websocket</c>). Echo and session need nothing and return <paramref name="options"/>.
    /// </summary>
    ConnectOptions PrepareUpgrade(ConnectOptions options);

    /// <summary>
    /// Each connection attempt, after its token is in place: a protocol that must ask the server over HTTP before the
    /// upgrade (SignalR's negotiate, which hands out the connection token the WebSocket URL carries) does it here and
    /// returns the options of this attempt. A failure is a <see cref="ConnectFailedException"/>, counted as the
    /// attempt's connect failure. The others connect as they are (the default).
    /// </summary>
    Task<ConnectOptions> PrepareConnectAsync(ConnectOptions options, CancellationToken ct) => Task.FromResult(options);

    /// <summary>
    /// Raised (on a socket or timer thread) when the protocol gives the attached connection up on its own: a server
    /// silent past the protocol's timeout, the server's close message, a refused handshake. The argument is the
    /// disconnect cause (<c>category:label</c>, see <c>DisconnectCauses</c>); the client ends the connection with it
    /// and reconnects by its policy. Protocols without such rules never raise it (the default).
    /// </summary>
    event Action<ProtocolFailure>? Failed { add { } remove { } }

    /// <summary>
    /// The server ends a connection whose token expired without saying so (SignalR's CloseOnAuthenticationExpiration
    /// closes cleanly): a server close after <c>exp</c> counts as an expiry close. False: only close code 4001 does.
    /// </summary>
    bool ExpiryCloseHasNoCode => false;

    /// <summary>The protocol's own keep-alive frames, for <c>heartbeat.appLevel</c>; null: it has none (WebSocket PINGs are used).</summary>
    IAppHeartbeat? Heartbeat { get; }

    /// <summary>The protocol's in-band token refresh frames; null: it has none (a scenario must then give refresh.message).</summary>
    IRefreshFrames? RefreshFrames { get; }

    /// <summary>
    /// Where the protocol carries the client's token (<c>auth.send: protocol</c>); null: it has no place for one
    /// (then <see cref="ProtocolTraits.CarriesTokens"/> is false for its kind and the validator refuses the key).
    /// </summary>
    ITokenCarrier? Tokens { get; }

    /// <summary>
    /// The send window, as timestamps of the protocol's clock: from the client's start to the run's planned end,
    /// the same instant for every client. Without it the schedule starts with the first connection and never ends.
    /// </summary>
    void Schedule(long start, long end);

    /// <summary>A connection opened: handshake (if any), then start or resume over it.</summary>
    void Attach(ITextChannel connection);

    /// <summary>The connection ended. What was in flight is interrupted, or kept for replay when the protocol <see cref="Resumes"/>.</summary>
    void Detach();

    /// <summary>
    /// Called just before <see cref="Detach"/> when the connection ended with a close on purpose (a WebSocket close
    /// handshake from either side, or the server's own close message) rather than a lost transport. A protocol whose
    /// resumption is only for lost transports (SignalR's stateful reconnect) starts a new session next time.
    /// </summary>
    void EndedByClose() { }

    /// <summary>
    /// Whether text that a connection the client has already left delivers late must be dropped before it reaches
    /// the protocol: true for a protocol that numbers the server's messages by their position (SignalR's stateful
    /// reconnect), where a late message would shift every number after it.
    /// </summary>
    bool ReadsOnlyCurrentConnection => false;

    /// <summary>
    /// Whether a server close with <paramref name="closeCode"/> before the handshake finished refused the client's
    /// credentials (graphql-transport-ws's 4403): the failed attempt then also counts in <c>auth_rejections</c>.
    /// </summary>
    bool RefusesCredentials(int? closeCode) => false;

    /// <summary>
    /// The name the protocol gives a server close code (graphql-transport-ws's 4408 is <c>init-timeout</c>), which the
    /// disconnect cause carries after the number; null: the protocol defines no such code (the default).
    /// </summary>
    string? CloseCodeName(int? closeCode) => null;

    /// <summary>Stop sending, keep listening (a clean stop lets answers in flight arrive).</summary>
    void StopSending();

    /// <summary>The application itself died: stop; what was in flight is interrupted (not the server's fault).</summary>
    void Abandon();

    /// <summary>
    /// The run is over and the connection is still open: stop sending and keep listening until every answer is in
    /// or the newest message's <c>lossTimeout</c> has passed, at most <paramref name="grace"/>; then what is overdue
    /// is lost and what is still inside its window unresolved. The caller closes the connection afterwards.
    /// </summary>
    Task DrainAsync(TimeSpan grace);

    /// <summary>Messages sent and not yet answered.</summary>
    int Pending { get; }

    /// <summary>
    /// A text frame from the server: an answer, a push, a handshake step, or a server ping the protocol answers
    /// itself over the attached connection (Engine.IO's "2", graphql-transport-ws's ping).
    /// </summary>
    void OnText(string text);

    /// <summary>The run is over for this client: settle the books (what never arrived is lost) and count the planned sends.</summary>
    void Finish();
}

/// <summary>
/// Why a protocol gave its connection up: the disconnect cause, whether the server closed it (its close message)
/// rather than fell silent, whether it was the protocol's handshake that failed (then the attempt is a connect
/// failure), and whether the server allowed a reconnect (SignalR's <c>allowReconnect</c>: false ends the client's reconnecting).
/// </summary>
public sealed record ProtocolFailure(string Cause, bool ClosedByServer, bool ServerTimeout = false, bool Handshake = false, bool AllowReconnect = true);

/// <summary>A protocol's own heartbeat: a ping frame carrying a timestamp of the client's clock, handed back in the pong.</summary>
public interface IAppHeartbeat
{
    void SendPing(long timestamp);

    /// <summary>Raised (on a socket thread) with the timestamp a ping carried, when its pong arrives.</summary>
    event Action<long>? PongSeen;
}

/// <summary>A protocol's own place for the token of the next connection.</summary>
public interface ITokenCarrier
{
    /// <summary>
    /// The connect options of a connection that will present <paramref name="token"/>: changed when the token rides in
    /// the upgrade request (SignalR's <c>access_token</c> query), or kept for the handshake on the open socket
    /// (Socket.IO's namespace connect, graphql-transport-ws's <c>connection_init</c>) and returned unchanged.
    /// </summary>
    ConnectOptions Carry(ConnectOptions options, string token);
}

/// <summary>The frames of an in-band token refresh on an open connection.</summary>
public interface IRefreshFrames
{
    /// <summary>The frame that offers <paramref name="token"/> to the server.</summary>
    string Refresh(string token);

    /// <summary>
    /// The server's answer to a refresh, or null when <paramref name="text"/> is none (it goes on to the protocol).
    /// <paramref name="waiting"/>: a refresh is waiting for its answer.
    /// </summary>
    RefreshAnswer? Read(string text, bool waiting);
}
