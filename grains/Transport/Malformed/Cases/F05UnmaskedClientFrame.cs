namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F05: a client frame without a mask. RFC 6455 5.1: "the server MUST close the connection", and "a server MAY
/// send a Close frame with a status code of 1002" before it does: a drop without one is right too.
/// </summary>
public sealed class F05UnmaskedClientFrame : FrameViolationCase
{
    public override string Id => "F05";
    public override string Title => "unmasked client frame (MASK=0)";
    public override string RfcSection => "5.1";
    public override Expectation Expected => Expectation.FailOrDrop(1002);

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text("Hello, world") with { Masked = false }, ct);
}
