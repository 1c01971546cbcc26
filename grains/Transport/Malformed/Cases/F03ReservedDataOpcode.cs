namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F03: a frame with a reserved data opcode (0x3 to 0x7).</summary>
public sealed class F03ReservedDataOpcode : FrameViolationCase
{
    public override string Id => "F03";
    public override string Title => "reserved data opcode 0x3-0x7";
    public override string RfcSection => "5.2";
    public override Expectation Expected => Expectation.Fail(1002);
    public override IReadOnlyList<string> Variants { get; } = ["0x3", "0x4", "0x5", "0x6", "0x7"];

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("reserved") with { Opcode = Convert.ToByte(variant, 16) }, ct);
}
