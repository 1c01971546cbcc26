namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F09: a text frame with FIN=0, then a new text frame where a continuation must come.</summary>
public sealed class F09NewMessageInsideFragments : FrameViolationCase
{
    public override string Id => "F09";
    public override string Title => "text FIN=0, then a new text frame instead of a continuation";
    public override string RfcSection => "5.4";
    public override Expectation Expected => Expectation.Fail(1002);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(
        [
            FrameSpec.Text("first part, ", fin: false),
            FrameSpec.Text("a new message"),
        ], ct);
}
