namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F14: a Close frame whose payload is a single byte (a status code needs two).</summary>
public sealed class F14CloseWithOneBytePayload : CloseFrameCase
{
    public override string Id => "F14";
    public override string Title => "Close frame with a 1-byte payload";
    public override string RfcSection => "5.5.1";
    public override Expectation Expected => Expectation.FailOrDrop(1002);

    protected override FrameSpec CloseFrame(string variant) => FrameSpec.CloseRaw([0x03]);
}
