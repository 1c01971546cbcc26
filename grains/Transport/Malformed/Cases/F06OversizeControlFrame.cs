namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F06: a PING whose payload is 126 bytes; control frames carry at most 125.</summary>
public sealed class F06OversizeControlFrame : FrameViolationCase
{
    public override string Id => "F06";
    public override string Title => "PING with a 126-byte payload";
    public override string RfcSection => "5.5";
    public override Expectation Expected => Expectation.Fail(1002);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Ping(new byte[126]), ct);
}
