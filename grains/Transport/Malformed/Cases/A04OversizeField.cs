namespace SimCluster.Transport.Malformed.Cases;

/// <summary>A04: a message with one 256 KB string field (still under a 1 MB message limit).</summary>
public sealed class A04OversizeField : AppMutationCase
{
    private static readonly Lazy<FrameSpec> Frame = new(() => FrameSpec.Text("{\"type\":\"msg\",\"seq\":1,\"body\":\"" + new string('x', 256 * 1024) + "\"}"));

    public override string Id => "A04";
    public override string Title => "oversize field (256 KB string)";
    public override TimeSpan Deadline => TimeSpan.FromSeconds(5);

    protected override IEnumerable<FrameSpec> Frames(CaseContext context) => [Frame.Value];
}
