namespace SimCluster.Transport.Malformed.Cases;

/// <summary>A05: JSON nested 10,000 levels deep (a recursive parser without a depth limit overflows its stack).</summary>
public sealed class A05DeepNesting : AppMutationCase
{
    private const int Depth = 10_000;
    private static readonly Lazy<FrameSpec> Frame = new(() => FrameSpec.Text(new string('[', Depth) + new string(']', Depth)));

    public override string Id => "A05";
    public override string Title => "10,000-deep nesting";

    protected override IEnumerable<FrameSpec> Frames(CaseContext context) => [Frame.Value];
}
