using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>G01: a subscribe before connection_init was acknowledged (none was sent); graphql-transport-ws says close 4401.</summary>
public sealed class G01SubscribeBeforeAck : ProtocolCase
{
    public override string Id => "G01";
    public override string Title => "subscribe before connection_ack";
    public override ProtocolKind? Protocol => ProtocolKind.GraphqlWs;
    public override Expectation Expected => Expectation.Fail(4401);

    protected override Task<Observation?> HandshakeAsync(CaseSession session, CancellationToken ct) => Task.FromResult<Observation?>(null);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ __typename }\"}}"), ct);
}
