namespace SimCluster.Transport.Malformed.Cases;

/// <summary>A03: a known message type whose fields have the wrong JSON types.</summary>
public sealed class A03WrongFieldTypes : AppMutationCase
{
    public override string Id => "A03";
    public override string Title => "wrong field types";

    protected override IEnumerable<FrameSpec> Frames(CaseContext context) =>
        [FrameSpec.Text("{\"type\":\"msg\",\"seq\":\"one\",\"ts\":true,\"body\":{\"nested\":[1,2,3]}}")];
}
