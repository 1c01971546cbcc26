using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// S01: a packet type the protocol does not have, on a connected Socket.IO session: Engine.IO type 9, and an
/// Engine.IO message carrying Socket.IO type 9. socket.io fails to parse either and closes the Engine.IO session
/// (a Close frame without a code).
/// </summary>
public sealed class S01BadPacketType : ProtocolCase
{
    private static readonly Dictionary<string, string> Packets = new()
    {
        ["engine.io 9"] = "9simcluster",
        ["socket.io 49"] = "49",
    };

    public override string Id => "S01";
    public override string Title => "bad packet type (Engine.IO 9, Socket.IO 49)";
    public override ProtocolKind? Protocol => ProtocolKind.Socketio;
    public override Expectation Expected => Expectation.CloseAnyOrDrop();
    public override IReadOnlyList<string> Variants { get; } = [.. Packets.Keys];

    protected override Task<Observation?> HandshakeAsync(CaseSession session, CancellationToken ct) =>
        ProtocolCases.SocketioHandshakeAsync(session, connectNamespace: true, ct);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text(Packets[variant]), ct);
}
