namespace SimCluster.Transport.Malformed.Cases;

/// <summary>A07: a JSON message sent as a binary frame where the protocol speaks text.</summary>
public sealed class A07BinaryWhereTextExpected : AppMutationCase
{
    public override string Id => "A07";
    public override string Title => "binary frame where text is expected";

    protected override IEnumerable<FrameSpec> Frames(CaseContext context) =>
        [FrameSpec.Binary([.. "{\"type\":\"msg\",\"seq\":1,\"body\":\"binary\"}"u8, 0x00, 0xFF, 0xFE])];
}
