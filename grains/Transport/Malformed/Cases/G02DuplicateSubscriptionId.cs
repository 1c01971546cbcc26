using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>G02: two subscribes with the same id back to back, after the ack; graphql-transport-ws says close 4409 (subscriber exists).</summary>
public sealed class G02DuplicateSubscriptionId : ProtocolCase
{
    private static readonly string Subscribe = "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ __typename }\"}}";

    public override string Id => "G02";
    public override string Title => "duplicate subscription id";
    public override ProtocolKind? Protocol => ProtocolKind.GraphqlWs;
    public override Expectation Expected => Expectation.Fail(4409);

    protected override Task<Observation?> HandshakeAsync(CaseSession session, CancellationToken ct) => ProtocolCases.GraphqlInitAsync(session, ct);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync([FrameSpec.Text(Subscribe), FrameSpec.Text(Subscribe)], ct);
}
