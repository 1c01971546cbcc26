namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F01: a text frame with RSV1 set although no extension was negotiated.</summary>
public sealed class F01Rsv1WithoutExtension : FrameViolationCase
{
    public override string Id => "F01";
    public override string Title => "text frame with RSV1 set, no extension negotiated";
    public override string RfcSection => "5.2";
    public override Expectation Expected => Expectation.Fail(1002);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("Hello, world") with { Rsv = 4 }, ct);
}
