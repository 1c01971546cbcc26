namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F20: a 124-byte text frame whose length uses the 16-bit (or 64-bit) form; the minimal form is a MUST.</summary>
public sealed class F20NonMinimalLength : FrameViolationCase
{
    public override string Id => "F20";
    public override string Title => "non-minimal length encoding (126 + 0x007C for 124 bytes)";
    public override string RfcSection => "5.2";
    public override Expectation Expected => Expectation.Fail(1002) with { WhenTolerated = Verdict.NonStrict };
    public override IReadOnlyList<string> Variants { get; } = ["16-bit", "64-bit"];

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text(new string('n', 124)) with
        {
            Encoding = variant == "16-bit" ? LengthEncoding.Extended16 : LengthEncoding.Extended64,
        }, ct);
}
