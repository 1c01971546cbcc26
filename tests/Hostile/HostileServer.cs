using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SimCluster.Tests.Hostile;

/// <summary>How a hostile server treats each client that connects.</summary>
public enum Hostility
{
    /// <summary>Completes the upgrade, then announces a 1 GiB text frame and streams its payload.</summary>
    GiantFrame,
    /// <summary>Completes the upgrade, then sends 1 KiB text frames as fast as the socket takes them.</summary>
    Flood,
    /// <summary>Completes the upgrade, then sends one text message in 64 KiB fragments that never ends.</summary>
    EndlessFragments,
    /// <summary>Answers the upgrade request with bytes that are not HTTP.</summary>
    GarbageHandshake,
    /// <summary>Answers 101 with a wrong Sec-WebSocket-Accept key.</summary>
    WrongAcceptKey,
    /// <summary>Accepts the TCP connection, reads the request and never answers.</summary>
    Silent,
    /// <summary>Completes the upgrade, sends the first 10 bytes of a 1,000-byte frame, then closes the TCP connection.</summary>
    CloseMidFrame,
    /// <summary>Completes the upgrade, then sends a text frame without FIN, a PING, and nothing more (the connection held open).</summary>
    StalledFragment,
    /// <summary>Completes the upgrade, then sends a text frame that is not valid UTF-8.</summary>
    InvalidUtf8,
}

/// <summary>
/// A small hostile WebSocket server on loopback for tests (issue 10): one misbehaviour per instance, every
/// connection bounded in bytes and time, so a test that uses it stops by itself. Counts what it did.
/// Given a certificate it speaks TLS (<c>wss://</c>); then the giant frame's header goes out in the same
/// write (one TLS record) as the 101 response.
/// </summary>
public sealed class HostileServer : IAsyncDisposable
{
    private const long GiantLength = 1L << 30;
    private const long MaxBytesPerConnection = 1L << 30;
    private static readonly TimeSpan MaxConnectionLife = TimeSpan.FromSeconds(30);

    private readonly SimCluster.Tests.Support.LoopbackListener _listener;
    private long _bytesSent;

    private readonly X509Certificate2? _certificate;

    public HostileServer(Hostility hostility, X509Certificate2? certificate = null)
    {
        Hostility = hostility;
        _certificate = certificate;
        _listener = new SimCluster.Tests.Support.LoopbackListener(ServeAsync);
    }

    public Hostility Hostility { get; }

    public Uri Url => new($"{(_certificate is null ? "ws" : "wss")}://127.0.0.1:{_listener.Port}/ws");

    public long Connections => _listener.Connections;

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>
    /// Waits until this flood server has pushed 16 MiB, or the connection ended first, and says how it ended (or
    /// that it did not). 16 MiB is long before the server's own cap (1 GiB per connection), which loopback can
    /// reach within a second: after that it is the server that ends the connection.
    /// </summary>
    public async Task<string> FloodedAsync(Task<SimCluster.Transport.ConnectionClosed> closed)
    {
        await SimCluster.Tests.Support.Eventually.TrueAsync(() => BytesSent > 16 * 1024 * 1024 || closed.IsCompleted, "the flood server sends 16 MiB");
        return closed.IsCompleted ? (await closed).ToString() : "no end delivered";
    }

    /// <summary>A self-signed certificate for 127.0.0.1 (tests trust it by its thumbprint), made in memory.</summary>
    public static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server auth
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Re-imported with its key, so SslStream can use it as a server certificate on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), password: null);
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        using var life = CancellationTokenSource.CreateLinkedTokenSource(stop);
        life.CancelAfter(MaxConnectionLife);
        var ct = life.Token;
        try
        {
            Stream stream = new NetworkStream(client, ownsSocket: false);
            if (_certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, ct);
                stream = tls;
            }
            await using var _tls = stream;
            var key = await ReadRequestKeyAsync(stream, ct);
            switch (Hostility)
            {
                case Hostility.GarbageHandshake:
                    await SendAsync(stream, [0x00, 0xFF, .. "\x01garbage, not HTTP\r\n\r\n"u8], ct);
                    await HoldAsync(stream, ct);
                    return;
                case Hostility.WrongAcceptKey:
                    await SendAsync(stream, Encoding.ASCII.GetBytes(
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"), ct);
                    await HoldAsync(stream, ct);
                    return;
                case Hostility.Silent:
                    await HoldAsync(stream, ct);
                    return;
            }
            var upgrade = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {Accept(key)}\r\n\r\n");
            byte[] giantHeader = [0x81, 127, .. BigEndian(GiantLength)];
            if (Hostility == Hostility.GiantFrame && _certificate is not null)
            {
                await SendAsync(stream, [.. upgrade, .. giantHeader], ct); // one TLS record: the frame arrives with the 101
            }
            else
            {
                await SendAsync(stream, upgrade, ct);
                if (Hostility == Hostility.GiantFrame) await SendAsync(stream, giantHeader, ct);
            }
            switch (Hostility)
            {
                case Hostility.GiantFrame:
                    await StreamAsync(stream, new byte[64 * 1024], GiantLength, ct);
                    break;
                case Hostility.Flood:
                    var frames = new MemoryStream();
                    for (var i = 0; i < 64; i++) frames.Write([0x81, 126, 0x04, 0x00, .. Enumerable.Repeat((byte)'x', 1024)]);
                    await StreamAsync(stream, frames.ToArray(), MaxBytesPerConnection, ct);
                    break;
                case Hostility.EndlessFragments:
                    await SendAsync(stream, [0x01, 127, .. BigEndian(64 * 1024), .. new byte[64 * 1024]], ct); // text, no FIN
                    await StreamAsync(stream, [0x00, 127, .. BigEndian(64 * 1024), .. new byte[64 * 1024]], MaxBytesPerConnection, ct);
                    break;
                case Hostility.CloseMidFrame:
                    await SendAsync(stream, [0x81, 126, 0x03, 0xE8, .. "0123456789"u8], ct); // 1,000 bytes announced, 10 sent
                    await Task.Delay(50, ct);
                    break; // disposing the client closes the TCP connection mid-frame
                case Hostility.StalledFragment:
                    await SendAsync(stream, [0x01, 3, .. "abc"u8, 0x89, 0], ct); // the first fragment, then a PING
                    await HoldAsync(stream, ct);
                    break;
                case Hostility.InvalidUtf8:
                    await SendAsync(stream, [0x81, 4, 0xC3, 0x28, 0xA0, 0xA1], ct);
                    await HoldAsync(stream, ct);
                    break;
            }
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client gave up on us: that is the point.
        }
    }

    private static async Task<string> ReadRequestKeyAsync(Stream stream, CancellationToken ct)
    {
        var request = new StringBuilder();
        var buffer = new byte[1024];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, ct);
            if (n == 0 || request.Length > 16 * 1024) throw new IOException("no upgrade request");
            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        var line = request.ToString().Split("\r\n").FirstOrDefault(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase));
        return line?["Sec-WebSocket-Key:".Length..].Trim() ?? "";
    }

    private static string Accept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    private static byte[] BigEndian(long value)
    {
        var bytes = BitConverter.GetBytes(value);
        if (BitConverter.IsLittleEndian) Array.Reverse(bytes);
        return bytes;
    }

    private async Task SendAsync(Stream stream, byte[] bytes, CancellationToken ct)
    {
        await stream.WriteAsync(bytes, ct);
        Interlocked.Add(ref _bytesSent, bytes.Length);
    }

    /// <summary>Writes <paramref name="chunk"/> over and over until <paramref name="total"/> bytes are out or the client leaves.</summary>
    private async Task StreamAsync(Stream stream, byte[] chunk, long total, CancellationToken ct)
    {
        for (long sent = 0; sent < total; sent += chunk.Length) await SendAsync(stream, chunk, ct);
    }

    /// <summary>Keeps the connection open (reading and discarding) until the client closes it or the connection's life ends.</summary>
    private static async Task HoldAsync(Stream stream, CancellationToken ct)
    {
        var sink = new byte[4096];
        while (await stream.ReadAsync(sink, ct) > 0) { }
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
