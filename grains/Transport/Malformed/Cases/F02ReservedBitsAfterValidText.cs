namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F02: a valid text message, then a frame with RSV2 or RSV3 set, then a PING: echo the first, fail, no PONG.</summary>
public sealed class F02ReservedBitsAfterValidText : FrameViolationCase
{
    public override string Id => "F02";
    public override string Title => "valid text, then a frame with RSV2/RSV3 set, then PING";
    public override string RfcSection => "5.2";
    public override Expectation Expected => Expectation.Fail(1002);
    public override IReadOnlyList<string> Variants { get; } = ["RSV2", "RSV3"];
    protected override int LegitEchoes => 1;

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(
        [
            FrameSpec.Text("Hello, world"),
            FrameSpec.Text("Hello, world") with { Rsv = variant == "RSV2" ? 2 : 1 },
        ], ct);
}
