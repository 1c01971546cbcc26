namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F11: text messages carrying invalid UTF-8, one connection per sequence.</summary>
public sealed class F11InvalidUtf8 : FrameViolationCase
{
    private static readonly Dictionary<string, byte[]> Sequences = new()
    {
        ["80"] = [0x80],                       // a lone continuation byte
        ["FE"] = [0xFE],                       // never valid in UTF-8
        ["C0 AF"] = [0xC0, 0xAF],              // overlong encoding of '/'
        ["ED A0 80"] = [0xED, 0xA0, 0x80],     // UTF-16 surrogate U+D800
        ["F4 90 80 80"] = [0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
    };

    public override string Id => "F11";
    public override string Title => "text with invalid UTF-8 (80, FE, overlong C0 AF, surrogate ED A0 80, F4 90 80 80)";
    public override string RfcSection => "8.1";
    public override Expectation Expected => Expectation.Fail(1007);
    public override IReadOnlyList<string> Variants { get; } = [.. Sequences.Keys];

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text([.. "Hello-"u8, .. Sequences[variant], .. "-World"u8]), ct);
}
