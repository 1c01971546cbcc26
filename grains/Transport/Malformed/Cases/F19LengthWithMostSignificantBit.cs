namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F19: a 64-bit payload length with its most significant bit set, which the RFC forbids.</summary>
public sealed class F19LengthWithMostSignificantBit : FrameViolationCase
{
    public override string Id => "F19";
    public override string Title => "64-bit length with the most significant bit set";
    public override string RfcSection => "5.2";
    public override Expectation Expected => Expectation.Fail(1002);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("Hello") with { Encoding = LengthEncoding.Extended64, DeclaredLength = 0x8000_0000_0000_0005 }, ct);
}
