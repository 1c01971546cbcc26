using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>G03: a message whose JSON does not parse, after the ack; graphql-transport-ws says close 4400 (bad request).</summary>
public sealed class G03InvalidJson : ProtocolCase
{
    public override string Id => "G03";
    public override string Title => "invalid JSON";
    public override ProtocolKind? Protocol => ProtocolKind.GraphqlWs;
    public override Expectation Expected => Expectation.Fail(4400);

    protected override Task<Observation?> HandshakeAsync(CaseSession session, CancellationToken ct) => ProtocolCases.GraphqlInitAsync(session, ct);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("{\"id\":\"1\",\"type\":\"subscribe\","), ct);
}
