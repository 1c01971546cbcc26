using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// S03: a connect to a namespace the server does not have. socket.io answers CONNECT_ERROR
/// (<c>44/ns,{"message":"Invalid namespace"}</c>) and keeps the Engine.IO session.
/// </summary>
public sealed class S03UnknownNamespace : ProtocolCase
{
    private const string Namespace = "/simcluster-unknown";

    public override string Id => "S03";
    public override string Title => "connect to an unknown namespace";
    public override ProtocolKind? Protocol => ProtocolKind.Socketio;
    public override Expectation Expected => Expectation.Reply("CONNECT_ERROR (44) for the namespace");

    protected override Task<Observation?> HandshakeAsync(CaseSession session, CancellationToken ct) =>
        ProtocolCases.SocketioHandshakeAsync(session, connectNamespace: false, ct);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text($"40{Namespace},"), ct);

    protected override bool IsErrorReply(string text) => text.StartsWith($"44{Namespace},", StringComparison.Ordinal);
}
