namespace SimCluster.Transport.Malformed.Cases;

/// <summary>F16: a Close frame whose reason is not valid UTF-8.</summary>
public sealed class F16CloseWithInvalidUtf8Reason : CloseFrameCase
{
    public override string Id => "F16";
    public override string Title => "Close with an invalid UTF-8 reason";
    public override string RfcSection => "7.1.6, 8.1";
    public override Expectation Expected => Expectation.FailOrDrop(1002, 1007);

    protected override FrameSpec CloseFrame(string variant) =>
        FrameSpec.Close(1000, [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64]);
}
