namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F12: invalid UTF-8 in the middle fragment of a three-fragment text message. A strict server fails on that
/// fragment; one that fails only once the message is complete is NON-STRICT.
/// </summary>
public sealed class F12InvalidUtf8InMiddleFragment : MalformedCase
{
    public override string Id => "F12";
    public override string Title => "invalid UTF-8 in the middle fragment of a 3-fragment message";
    public override string RfcSection => "8.1";
    public override Expectation Expected => Expectation.Fail(1007);

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        await CaseSession.TrySendAsync(() => session.Writer.SendAsync(
        [
            FrameSpec.Text("Hello, ", fin: false),
            FrameSpec.Continuation([.. "mid"u8, 0xFE, .. "dle "u8], fin: false),
        ], ct)).ConfigureAwait(false);
        var failedEarly = await session.WaitAsync(e => e.Any(x => x.Kind == ServerEventKind.Close || x.IsEnd), ct,
            context.Scale(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        if (!failedEarly)
        {
            await session.TrySendAsync(FrameSpec.Continuation("world"u8.ToArray(), fin: true), ct).ConfigureAwait(false);
            await session.SendProbeAsync(ct).ConfigureAwait(false);
        }
        var observation = await session.ObserveAsync(ct).ConfigureAwait(false);
        return observation with { Late = observation.Late || (!failedEarly && observation.Reaction is Reaction.Closed or Reaction.Dropped) };
    }
}
