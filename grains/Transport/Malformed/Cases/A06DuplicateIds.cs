namespace SimCluster.Transport.Malformed.Cases;

/// <summary>A06: the same message id (sequence number) twice in a row.</summary>
public sealed class A06DuplicateIds : AppMutationCase
{
    public override string Id => "A06";
    public override string Title => "duplicate ids";

    protected override IEnumerable<FrameSpec> Frames(CaseContext context)
    {
        var message = "{\"type\":\"msg\",\"seq\":7,\"ts\":" + context.Time.GetUtcNow().ToUnixTimeMilliseconds() + ",\"body\":\"duplicate\"}";
        return [FrameSpec.Text(message), FrameSpec.Text(message)];
    }
}
