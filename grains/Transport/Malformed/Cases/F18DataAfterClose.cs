namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F18: Close(1000), then a text message, a PING and a second Close. A strict server completes the close
/// handshake with 1000 and ignores everything after the client's first Close (no echo, no PONG).
/// </summary>
public sealed class F18DataAfterClose : MalformedCase
{
    public override string Id => "F18";
    public override string Title => "Close(1000), then text, PING and a second Close";
    public override string RfcSection => "5.5.1";
    public override Expectation Expected => Expectation.CleanClose(1000);

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        await CaseSession.TrySendAsync(() => session.Writer.SendAsync(
        [
            FrameSpec.Close(1000, "bye"),
            FrameSpec.Text("after close"),
            FrameSpec.Ping(session.Probe),
            FrameSpec.Close(1000, "again"),
        ], ct)).ConfigureAwait(false);
        await session.WaitAsync(e => e.Any(x => x.IsEnd), ct).ConfigureAwait(false);
        var observation = await session.ConcludeAsync(legitEchoes: 0, echoesTolerate: true, replyToClose: false, ct).ConfigureAwait(false);
        var answered = session.Reader.Events.Any(e => e.Kind == ServerEventKind.Message || session.IsProbePong(e));
        return observation with { DataAfterClose = answered, Tolerated = false, Late = false };
    }
}
