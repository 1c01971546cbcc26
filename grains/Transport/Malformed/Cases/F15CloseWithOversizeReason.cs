namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F15: a Close frame with a 124-byte reason: a 126-byte payload, over the control-frame limit of 125.</summary>
public sealed class F15CloseWithOversizeReason : CloseFrameCase
{
    public override string Id => "F15";
    public override string Title => "Close frame with a 124-byte reason (payload 126)";
    public override string RfcSection => "5.5";
    public override Expectation Expected => Expectation.FailOrDrop(1002);

    protected override FrameSpec CloseFrame(string variant) => FrameSpec.Close(1000, new string('r', 124));
}
