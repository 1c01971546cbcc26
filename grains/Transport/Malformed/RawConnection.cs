using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SimCluster.Transport.Malformed;

/// <summary>
/// A TCP connection for malformed traffic: bound to the client's source address and running over a
/// <see cref="FaultStream"/> with the client's link faults, exactly like a normal simulated client's, but
/// with no WebSocket on top. The case writes raw bytes (<see cref="Writer"/>) and watches the server's
/// reaction (<see cref="Reader"/>); the HTTP upgrade is done by hand so it can be broken too.
/// </summary>
public sealed class RawConnection : IAsyncDisposable
{
    private const int MaxResponseHeadBytes = 16 * 1024;

    private readonly FaultStream _faults;
    private readonly TimeProvider _time;
    private ServerFrameReader? _reader;

    private RawConnection(FaultStream faults, Uri target, TimeProvider time)
    {
        _faults = faults;
        Stream = faults;
        Target = target;
        _time = time;
        Writer = new RawFrameWriter(faults, time);
    }

    public Uri Target { get; }

    /// <summary>The stream frames are written to and read from: the fault stream (with TLS inside it for wss).</summary>
    public Stream Stream { get; }

    public FaultStream Faults => _faults;

    public RawFrameWriter Writer { get; }

    /// <summary>The server side of the conversation; null until <see cref="StartReader"/>.</summary>
    public ServerFrameReader Reader => _reader ?? throw new InvalidOperationException("the reader has not been started");

    public IPEndPoint? LocalEndPoint => _faults.Socket.LocalEndPoint as IPEndPoint;

    /// <summary>TCP connect (and TLS for wss) from the options' source address, over its link faults (<see cref="SocketOpener"/>).</summary>
    public static Task<RawConnection> OpenAsync(ConnectOptions options, CancellationToken ct) =>
        SocketOpener.OpenAsync(options, (faults, _) => Task.FromResult(new RawConnection(faults, options.Target, options.Time)), ct);

    /// <summary>The standard upgrade request for this target (with extra headers), as bytes.</summary>
    public byte[] BuildUpgradeRequest(string key, IReadOnlyList<KeyValuePair<string, string>> headers) =>
        UpgradeHandshake.BuildRequest(Target, key, headers);

    /// <summary>
    /// Reads an HTTP response head (status line and headers) within a deadline and a 16 KB cap. Bytes past
    /// the head are kept as <see cref="HttpResponseHead.Leftover"/>.
    /// </summary>
    public async Task<HttpResponseHead> ReadResponseHeadAsync(long deadline, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var buffer = new byte[4096];
        var filled = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
        if (left <= TimeSpan.Zero) return new HttpResponseHead { Outcome = HeadOutcome.Timeout };
        timeout.CancelAfter(left);
        try
        {
            while (true)
            {
                var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
                if (end >= 0)
                {
                    return HttpResponseHead.Parse(buffer.AsSpan(0, end), buffer.AsMemory(end + 4, filled - end - 4).ToArray())
                        with { ElapsedTicks = _time.GetTimestamp() - started };
                }
                if (filled >= 5 && !buffer.AsSpan(0, 5).SequenceEqual("HTTP/"u8))
                    return new HttpResponseHead { Outcome = HeadOutcome.Garbage };
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxResponseHeadBytes) return new HttpResponseHead { Outcome = HeadOutcome.Garbage };
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxResponseHeadBytes));
                }
                var n = await Stream.ReadAsync(buffer.AsMemory(filled), timeout.Token).ConfigureAwait(false);
                if (n == 0) return new HttpResponseHead { Outcome = HeadOutcome.Closed };
                filled += n;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new HttpResponseHead { Outcome = HeadOutcome.Timeout };
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return new HttpResponseHead { Outcome = HeadOutcome.Reset };
        }
    }

    /// <summary>
    /// A normal RFC 6455 upgrade with optional extra headers. Returns the response; on a 101 with a valid accept
    /// key the connection is open for frames (start the reader with the leftover).
    /// </summary>
    public async Task<(HttpResponseHead Response, bool Upgraded)> UpgradeAsync(IReadOnlyList<KeyValuePair<string, string>> headers, long deadline, CancellationToken ct)
    {
        var key = UpgradeHandshake.NewKey();
        await Writer.SendRawAsync(BuildUpgradeRequest(key, headers), ct).ConfigureAwait(false);
        var response = await ReadResponseHeadAsync(deadline, ct).ConfigureAwait(false);
        var upgraded = response.Outcome == HeadOutcome.Complete && response.Status == 101
            && response.Header("Sec-WebSocket-Accept") == UpgradeHandshake.ExpectedAccept(key);
        return (response, upgraded);
    }

    /// <summary>Starts reading server frames, beginning with <paramref name="leftover"/> (bytes that came with the 101).</summary>
    public ServerFrameReader StartReader(ReadOnlyMemory<byte> leftover, bool rsv1Allowed = false)
    {
        if (_reader is not null) throw new InvalidOperationException("the reader is already running");
        _reader = new ServerFrameReader(Stream, leftover, _time) { Rsv1Allowed = rsv1Allowed };
        _reader.Start();
        return _reader;
    }

    /// <summary>Half-close: we send FIN and keep reading.</summary>
    public void ShutdownSend() => _faults.ShutdownSend();

    public static string Describe(IEnumerable<KeyValuePair<string, string>> headers) =>
        new StringBuilder().AppendJoin(", ", headers.Select(h => $"{h.Key}: {h.Value}")).ToString();

    /// <summary>Ends the connection abruptly (RST): a case never leaves a socket behind.</summary>
    public async ValueTask DisposeAsync()
    {
        _faults.Reset();
        if (_reader is not null) await _reader.DisposeAsync().ConfigureAwait(false);
        try { await Stream.DisposeAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { }
    }
}
