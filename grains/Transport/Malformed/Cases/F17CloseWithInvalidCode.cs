using System.Globalization;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F17: Close frames with status codes a peer must never send (reserved, internal-only or unassigned).</summary>
public sealed class F17CloseWithInvalidCode : CloseFrameCase
{
    public override string Id => "F17";
    public override string Title => "Close with code 0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999";
    public override string RfcSection => "7.4.1, 7.4.2";
    public override Expectation Expected => Expectation.FailOrDrop(1002);
    public override IReadOnlyList<string> Variants { get; } = ["0", "999", "1004", "1005", "1006", "1015", "1016", "1100", "2000", "2999"];

    protected override FrameSpec CloseFrame(string variant) => FrameSpec.Close(int.Parse(variant, CultureInfo.InvariantCulture), "bad code");
}
