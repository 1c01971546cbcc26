using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>G04: a second connection_init on an acknowledged connection; graphql-transport-ws says close 4429 (too many initialisation requests).</summary>
public sealed class G04SecondInit : ProtocolCase
{
    public override string Id => "G04";
    public override string Title => "connection_init twice";
    public override ProtocolKind? Protocol => ProtocolKind.GraphqlWs;
    public override Expectation Expected => Expectation.Fail(4429);

    protected override Task<Observation?> HandshakeAsync(CaseSession session, CancellationToken ct) => ProtocolCases.GraphqlInitAsync(session, ct);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("{\"type\":\"connection_init\"}"), ct);
}
