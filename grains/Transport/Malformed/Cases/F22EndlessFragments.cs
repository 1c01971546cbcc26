namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F22: a text frame with FIN=0, then ~131,000 one-byte continuations, never FIN. A strict server caps the
/// fragments (or buffered bytes) of one message and closes; the bytes are sent in chunks and sending stops as
/// soon as the server reacts.
/// </summary>
public sealed class F22EndlessFragments : MalformedCase
{
    private const int Continuations = 131_000;
    private const int Chunk = 64 * 1024;

    /// <summary>Built once (about 900 KB): every attacker sends the same bytes.</summary>
    private static readonly Lazy<byte[]> Bytes = new(() =>
    {
        var frames = new List<byte>(7 * (Continuations + 1));
        frames.AddRange(FrameSpec.Text("x", fin: false).ToBytes());
        for (var i = 0; i < Continuations; i++) frames.AddRange(FrameSpec.Continuation([(byte)'x'], fin: false).ToBytes());
        return [.. frames];
    });

    public override string Id => "F22";
    public override string Title => "text FIN=0, then ~131,000 one-byte continuations, never FIN";
    public override string RfcSection => "10.4";
    public override Expectation Expected => Expectation.Limit(1009, 1008);
    public override TimeSpan Deadline => TimeSpan.FromSeconds(10);

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        var bytes = Bytes.Value;
        var sentAll = true;
        var sent = 0;
        for (var at = 0; at < bytes.Length; at += Chunk)
        {
            if (session.Reader.Events.Any(e => e.Kind == ServerEventKind.Close || e.IsEnd)
                || context.Time.GetTimestamp() > session.Deadline
                || !await CaseSession.TrySendAsync(() => session.Writer.SendRawAsync(bytes.AsMemory(at, Math.Min(Chunk, bytes.Length - at)), ct)).ConfigureAwait(false))
            {
                sentAll = false;
                break;
            }
            sent = Math.Min(at + Chunk, bytes.Length);
        }
        if (sentAll) await session.SendProbeAsync(ct).ConfigureAwait(false);
        var observation = await session.ObserveAsync(ct).ConfigureAwait(false);
        return observation.Reaction is Reaction.Closed or Reaction.Dropped
            ? observation with { Detail = sentAll ? "after all fragments" : $"within the first {sent / 7:N0} fragments" }
            : observation;
    }
}
