using System.Text;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F10 (positive): a fragmented text message with a PING between its fragments, every byte sent on its own.
/// A strict server reassembles it, answers the PING at once (before the message is complete) and echoes it.
/// </summary>
public sealed class F10PingBetweenFragmentsDribbled : AcceptCase
{
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(2);

    public override string Id => "F10";
    public override string Title => "PING between fragments, frame bytes dribbled one at a time";
    public override string RfcSection => "5.4, 5.5.2";
    protected override bool WithPing => true;

    protected override byte[] Message(string variant) => Encoding.UTF8.GetBytes("Hello, fragmented world");

    protected override async Task SendAsync(CaseSession session, string variant, CancellationToken ct)
    {
        var first = FrameSpec.Text("Hello, ", fin: false).ToBytes();
        var ping = FrameSpec.Ping(session.Probe).ToBytes();
        var last = FrameSpec.Continuation(Encoding.UTF8.GetBytes("fragmented world"), fin: true).ToBytes();
        await session.Writer.DribbleAsync(first, Gap, ct).ConfigureAwait(false);
        await session.Writer.DribbleAsync(ping, Gap, ct).ConfigureAwait(false);
        // The PONG is due now, while the message is still incomplete: give it a moment before the last fragment.
        await session.WaitAsync(session.ProbeAnswered, ct, TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
        await session.Writer.DribbleAsync(last, Gap, ct).ConfigureAwait(false);
    }
}
