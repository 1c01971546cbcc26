namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F08: a continuation frame with no fragmented message to continue.</summary>
public sealed class F08OrphanContinuation : FrameViolationCase
{
    public override string Id => "F08";
    public override string Title => "continuation frame with nothing to continue";
    public override string RfcSection => "5.4";
    public override Expectation Expected => Expectation.Fail(1002);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Continuation("orphan"u8.ToArray(), fin: true), ct);
}
