using System.Security.Cryptography.X509Certificates;
using SimCluster.Transport;

namespace SimCluster.Tests.Hostile;

/// <summary>
/// Issue 10 over <c>wss://</c>: the maximum message size is enforced on the decrypted stream, for both
/// drivers. The hostile servers speak TLS with a self-signed certificate made by the test, which the client
/// trusts by its thumbprint. Each connection is bounded in time and, while the test waits, in the bytes the
/// server manages to push: a client that buffers a hostile message fails the test instead of eating memory.
/// </summary>
public sealed class HostileTlsTests : IDisposable
{
    /// <summary>More than the kernel's socket buffers hold (a few MB), far less than a 1 GiB frame.</summary>
    private const long MaxServerBytesPerConnection = 64L * 1024 * 1024;

    private readonly X509Certificate2 _certificate = HostileServer.SelfSignedCertificate();

    public void Dispose() => _certificate.Dispose();

    private sealed class Listener : IConnectionListener
    {
        public TaskCompletionSource<ConnectionClosed> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void OnText(string text) { }
        public void OnClosed(ConnectionClosed closed) => Closed.TrySetResult(closed);
    }

    private ConnectOptions Options(Uri target, ClientDriver driver, long maxMessageSize) => new()
    {
        Target = target,
        Driver = driver,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        MaxMessageSize = maxMessageSize,
        ServerCertificateValidation = (_, certificate, _, _) => certificate?.GetCertHashString() == _certificate.GetCertHashString(),
    };

    /// <summary>
    /// A 1 GiB frame whose header arrives in the same TLS record as the 101: refused from the header. The
    /// limit is set to 128 MiB here, so a client that read up to its limit before refusing (the lean driver's
    /// own assembly cap, without the scanner) would let the server push more than the bound, and fail.
    /// </summary>
    [Theory]
    [InlineData(ClientDriver.WebsocketClient)]
    [InlineData(ClientDriver.Lean)]
    public async Task A_giant_frame_over_tls_is_refused_from_its_header(ClientDriver driver)
    {
        await using var server = new HostileServer(Hostility.GiantFrame, _certificate);
        var outcome = await OutcomeAsync(server, driver, maxMessageSize: 128L * 1024 * 1024);
        Assert.True(outcome == "disconnect:" + DisconnectCause.MessageTooBig, outcome);
        Assert.True(server.BytesSent < MaxServerBytesPerConnection, $"the server got {server.BytesSent} bytes out");
    }

    [Theory]
    [InlineData(ClientDriver.WebsocketClient)]
    [InlineData(ClientDriver.Lean)]
    public async Task Endless_fragments_over_tls_are_refused_at_the_limit(ClientDriver driver)
    {
        await using var server = new HostileServer(Hostility.EndlessFragments, _certificate);
        var outcome = await OutcomeAsync(server, driver, maxMessageSize: 1024 * 1024);
        Assert.True(outcome == "disconnect:" + DisconnectCause.MessageTooBig, outcome);
    }

    [Theory]
    [InlineData(ClientDriver.WebsocketClient)]
    [InlineData(ClientDriver.Lean)]
    public async Task A_flood_over_tls_is_read_and_the_connection_closes_cleanly_when_asked(ClientDriver driver)
    {
        await using var server = new HostileServer(Hostility.Flood, _certificate);
        var connection = await SimulatedConnection.OpenAsync(Options(server.Url, driver, 1024 * 1024), new Listener()).WaitAsync(TimeSpan.FromSeconds(15));
        await Task.Delay(1000);
        Assert.True(connection.IsOpen, "the flood ended the connection");
        await connection.CloseAsync().WaitAsync(TimeSpan.FromSeconds(10));
        connection.Dispose();
        Assert.True(server.BytesSent > 1024 * 1024, $"the flood server sent {server.BytesSent} bytes");
    }

    [Fact]
    public async Task A_certificate_the_system_does_not_trust_is_a_tls_connect_error()
    {
        await using var server = new HostileServer(Hostility.Flood, _certificate);
        var options = Options(server.Url, ClientDriver.WebsocketClient, 1024 * 1024) with { ServerCertificateValidation = null };
        var error = await Assert.ThrowsAsync<ConnectFailedException>(() => SimulatedConnection.OpenAsync(options, new Listener()).WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(ConnectFailure.Tls, error.Failure);
    }

    /// <summary>How the connection ended, as the client grain counts it; bounded at 15 s and by the server's bytes.</summary>
    private async Task<string> OutcomeAsync(HostileServer server, ClientDriver driver, long maxMessageSize)
    {
        var listener = new Listener();
        using var connection = await SimulatedConnection.OpenAsync(Options(server.Url, driver, maxMessageSize), listener).WaitAsync(TimeSpan.FromSeconds(15));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!listener.Closed.Task.IsCompleted)
        {
            if (server.BytesSent > MaxServerBytesPerConnection) return $"still reading after the server sent {server.BytesSent} bytes";
            if (DateTime.UtcNow > deadline) return "no end within 15 s";
            await Task.WhenAny(listener.Closed.Task, Task.Delay(20));
        }
        var closed = await listener.Closed.Task;
        return closed.Loss is { } cause ? "disconnect:" + cause : $"close:{closed.Initiator}:{closed.Code}:{closed.Error}";
    }
}
