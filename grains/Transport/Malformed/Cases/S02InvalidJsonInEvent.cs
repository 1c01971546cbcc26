using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>S02: an event packet whose JSON does not parse (<c>42["message",{"seq":</c>); socket.io closes the session.</summary>
public sealed class S02InvalidJsonInEvent : ProtocolCase
{
    public override string Id => "S02";
    public override string Title => "invalid JSON in an event";
    public override ProtocolKind? Protocol => ProtocolKind.Socketio;
    public override Expectation Expected => Expectation.CloseAnyOrDrop();

    protected override Task<Observation?> HandshakeAsync(CaseSession session, CancellationToken ct) =>
        ProtocolCases.SocketioHandshakeAsync(session, connectNamespace: true, ct);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("42[\"message\",{\"seq\":"), ct);
}
