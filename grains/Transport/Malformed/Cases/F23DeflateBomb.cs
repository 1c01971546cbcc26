using System.IO.Compression;

namespace SimCluster.Transport.Malformed.Cases;

/// <summary>
/// F23: a permessage-deflate bomb, a ~256 KB compressed message that inflates to 256 MB of zeros. Runs only when
/// the server negotiates permessage-deflate (RFC 7692); a strict server bounds the inflated size and closes 1009.
/// </summary>
public sealed class F23DeflateBomb : MalformedCase
{
    private const int Megabytes = 256;

    /// <summary>
    /// One megabyte of zeros, deflated and sync-flushed: complete blocks ending on a byte boundary with the
    /// empty stored block 00 00 FF FF, so copies can follow each other into one valid deflate stream.
    /// </summary>
    private static readonly Lazy<byte[]> Payload = new(() =>
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            deflate.Write(new byte[1 << 20]);
            deflate.Flush();
            var chunk = buffer.ToArray();
            if (!chunk.AsSpan().EndsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFF, 0xFF]))
                throw new InvalidOperationException("DeflateStream.Flush did not end with a sync-flush marker");
            var payload = new byte[chunk.Length * Megabytes - 4]; // RFC 7692 7.2.1: the final 00 00 FF FF is removed
            for (var i = 0; i < Megabytes; i++)
                chunk.AsSpan(0, Math.Min(chunk.Length, payload.Length - i * chunk.Length)).CopyTo(payload.AsSpan(i * chunk.Length));
            return payload;
        }
    });

    public override string Id => "F23";
    public override string Title => $"permessage-deflate bomb (~{Megabytes} KB inflating to {Megabytes} MB), only if the server negotiates deflate";
    public override string RfcSection => "10.4; RFC 7692 8";
    public override Expectation Expected => Expectation.Limit(1009);
    public override TimeSpan Deadline => TimeSpan.FromSeconds(10);

    public override async Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct)
    {
        await using var session = await CaseSession.OpenAsync(context, Deadline, ct,
            [new("Sec-WebSocket-Extensions", "permessage-deflate; client_no_context_takeover; server_no_context_takeover")], rsv1Allowed: true).ConfigureAwait(false);
        var extensions = session.Response.Header("Sec-WebSocket-Extensions");
        if (extensions is null || !extensions.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase))
            return new Observation { Reaction = Reaction.NotApplicable, Detail = "the server did not negotiate permessage-deflate", Elapsed = session.Elapsed };
        if (await session.TrySendAsync(FrameSpec.Binary(Payload.Value) with { Rsv = 4 }, ct).ConfigureAwait(false))
            await session.SendProbeAsync(ct).ConfigureAwait(false);
        return await session.ObserveAsync(ct).ConfigureAwait(false);
    }
}
