namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F13 (false-positive check): valid but unusual UTF-8 must be accepted and echoed unchanged.</summary>
public sealed class F13UnusualValidUtf8 : AcceptCase
{
    private static readonly Dictionary<string, byte[]> Texts = new()
    {
        ["U+FFFE"] = [.. "noncharacter "u8, 0xEF, 0xBF, 0xBE],
        ["U+10FFFF"] = [.. "highest "u8, 0xF4, 0x8F, 0xBF, 0xBF],
        ["U+FFFD"] = [.. "replacement "u8, 0xEF, 0xBF, 0xBD],
        ["4-byte"] = [.. "emoji "u8, 0xF0, 0x9F, 0x98, 0x80, .. " clef "u8, 0xF0, 0x9D, 0x84, 0x9E],
    };

    public override string Id => "F13";
    public override string Title => "valid but unusual UTF-8 (U+FFFE, U+10FFFF, U+FFFD, 4-byte sequences)";
    public override string RfcSection => "8.1";
    public override IReadOnlyList<string> Variants { get; } = [.. Texts.Keys];

    protected override byte[] Message(string variant) => Texts[variant];

    protected override Task SendAsync(CaseSession session, string variant, CancellationToken ct) =>
        session.Writer.SendAsync(FrameSpec.Text(Texts[variant]), ct);
}
