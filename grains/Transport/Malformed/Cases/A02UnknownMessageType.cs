namespace SimCluster.Transport.Malformed.Cases;

/// <summary>A02: well-formed JSON with a message type the server does not know.</summary>
public sealed class A02UnknownMessageType : AppMutationCase
{
    public override string Id => "A02";
    public override string Title => "unknown message type";

    protected override IEnumerable<FrameSpec> Frames(CaseContext context) => [FrameSpec.Text("{\"type\":\"no-such-type\",\"seq\":1,\"body\":\"?\"}")];
}
