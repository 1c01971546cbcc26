namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F21: a binary frame header announcing 2^40 bytes (a terabyte), a few payload bytes, then nothing. A strict
/// server rejects it from the header alone, allocating nothing; one that waits for the payload times out.
/// </summary>
public sealed class F21HugeFrameHeader : MalformedCase
{
    public override string Id => "F21";
    public override string Title => "header announcing a 2^40-byte frame, then stall";
    public override string RfcSection => "10.4";
    public override Expectation Expected => Expectation.Limit(1009);

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct).ConfigureAwait(false);
        await session.TrySendAsync(FrameSpec.Binary(new byte[16]) with { Encoding = LengthEncoding.Extended64, DeclaredLength = 1UL << 40 }, ct).ConfigureAwait(false);
        return await session.ObserveAsync(ct).ConfigureAwait(false);
    }
}
