namespace SimCluster.Transport.Malformed.Cases;

/// <summary>A08: 2,000 small messages in one burst; the server may serve them all or rate-limit (1008), not fall over.</summary>
public sealed class A08MessageFlood : AppMutationCase
{
    private const int Count = 2_000;

    public override string Id => "A08";
    public override string Title => "message flood (2,000 messages in one burst)";
    public override TimeSpan Deadline => TimeSpan.FromSeconds(5);

    protected override IEnumerable<FrameSpec> Frames(CaseContext context) =>
        Enumerable.Range(1, Count).Select(i => FrameSpec.Text($"{{\"type\":\"msg\",\"seq\":{i},\"body\":\"flood\"}}"));
}
