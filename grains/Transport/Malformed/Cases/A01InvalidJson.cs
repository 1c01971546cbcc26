namespace SimCluster.Transport.Malformed.Cases;

/// <summary>A01: a text message that is not JSON at all (truncated object).</summary>
public sealed class A01InvalidJson : AppMutationCase
{
    public override string Id => "A01";
    public override string Title => "invalid JSON";

    protected override IEnumerable<FrameSpec> Frames(CaseContext context) => [FrameSpec.Text("{\"type\":\"msg\",\"seq\":1,\"body\":\"unterminated")];
}
