namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F04: a frame with a reserved control opcode (0xB to 0xF).</summary>
public sealed class F04ReservedControlOpcode : FrameViolationCase
{
    public override string Id => "F04";
    public override string Title => "reserved control opcode 0xB-0xF";
    public override string RfcSection => "5.2";
    public override Expectation Expected => Expectation.Fail(1002);
    public override IReadOnlyList<string> Variants { get; } = ["0xB", "0xC", "0xD", "0xE", "0xF"];

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("reserved") with { Opcode = Convert.ToByte(variant, 16) }, ct);
}
