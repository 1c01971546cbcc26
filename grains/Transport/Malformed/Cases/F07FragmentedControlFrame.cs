namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F07: a PING split into fragments (FIN=0 on a control frame, then a continuation).</summary>
public sealed class F07FragmentedControlFrame : FrameViolationCase
{
    public override string Id => "F07";
    public override string Title => "PING split into fragments (FIN=0 on a control frame)";
    public override string RfcSection => "5.5";
    public override Expectation Expected => Expectation.Fail(1002);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(
        [
            FrameSpec.Ping("frag") with { Fin = false },
            FrameSpec.Continuation("mented"u8.ToArray(), fin: true),
        ], ct);
}
