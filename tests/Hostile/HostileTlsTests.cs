using SimCluster.Abstractions.Plans;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SimCluster.Tests.Support;
using SimCluster.Transport;
using Xunit.Abstractions;

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
        FragmentTimeLimit = TimeSpan.FromSeconds(1),
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

    /// <summary>Over TLS the scanner follows the bytes decrypted inside the fault stream; the clock runs there too.</summary>
    [Theory]
    [InlineData(ClientDriver.WebsocketClient)]
    [InlineData(ClientDriver.Lean)]
    public async Task A_fragmented_message_that_never_finishes_over_tls_ends_the_connection(ClientDriver driver)
    {
        await using var server = new HostileServer(Hostility.StalledFragment, _certificate);
        var outcome = await OutcomeAsync(server, driver, maxMessageSize: 1024 * 1024);
        Assert.True(outcome == "disconnect:" + DisconnectCause.StalledFragment, outcome);
    }

    [Theory]
    [InlineData(ClientDriver.WebsocketClient)]
    [InlineData(ClientDriver.Lean)]
    public async Task A_flood_over_tls_is_read_and_the_connection_closes_cleanly_when_asked(ClientDriver driver)
    {
        await using var server = new HostileServer(Hostility.Flood, _certificate);
        var listener = new Listener();
        var connection = await SimulatedConnection.OpenAsync(Options(server.Url, driver, 1024 * 1024), listener).WaitAsync(TimeSpan.FromSeconds(15));
        var end = await server.FloodedAsync(listener.Closed.Task);
        Assert.True(connection.IsOpen, $"the flood ended the connection: {end}");
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

/// <summary>
/// The real CLI against TLS hostile servers (a 1 GiB frame, endless fragments, a flood), once per driver.
/// The child process trusts the test's self-signed certificate through <c>SSL_CERT_FILE</c>, as a user
/// would trust a private CA on Linux. The run must end by itself, classify the oversized messages and keep
/// the tool's memory bounded.
/// </summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HostileTlsTargetTests(ITestOutputHelper output) : IDisposable
{
    private const double MaxToolRssMb = 600;

    private readonly string _temp = Simcluster.TempFolder("hostile-tls");
    private readonly X509Certificate2 _certificate = HostileServer.SelfSignedCertificate();

    public void Dispose()
    {
        _certificate.Dispose();
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("websocket-client")]
    [InlineData("lean")]
    public async Task Hostile_tls_servers_are_survived_classified_and_bounded(string driver)
    {
        Hostility[] hostile = [Hostility.GiantFrame, Hostility.EndlessFragments, Hostility.Flood];
        var servers = hostile.ToDictionary(h => h, h => new HostileServer(h, _certificate));
        try
        {
            var pem = Path.Combine(_temp, "trusted.pem");
            await File.WriteAllTextAsync(pem, _certificate.ExportCertificatePem());
            var scenario = Path.Combine(_temp, $"hostile-tls-{driver}.yaml");
            await File.WriteAllTextAsync(scenario, $"""
                name: hostile-tls-{driver}
                target: [{string.Join(", ", hostile.Select(h => servers[h].Url))}]
                clients: {hostile.Length * 2}
                duration: 5s
                driver: {driver}
                seed: 10
                messages: {"{"} interval: 1s, size: 64, lossTimeout: 5s, maxReceiveSize: 1048576 {"}"}
                reconnect: {"{"} policy: exponential, base: 100ms, max: 1s, jitter: full {"}"}
                """);
            var outDir = Path.Combine(_temp, driver);

            var result = await Simcluster.RunWithEnvironmentAsync(new Dictionary<string, string> { ["SSL_CERT_FILE"] = pem },
                "run", scenario, "--no-live", "--out", outDir);

            Assert.True(result.ExitCode == 0, result.ToString());
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            var causes = report["disconnectCauses"]!.AsObject();
            var connectErrors = report["connectErrors"]!.AsObject();
            var giant = servers[Hostility.GiantFrame];
            var tool = report["tool"]!.AsObject();
            var peak = (double?)tool["highWaterRssMb"] ?? (double)tool["peakRssMb"]!;
            output.WriteLine($"{driver} over TLS: connectErrors {connectErrors.ToJsonString()}, disconnectCauses {causes.ToJsonString()}; tool peak RSS {peak} MB; " +
                             $"giant-frame server: {giant.Connections} connections, {giant.BytesSent / Math.Max(1, giant.Connections) / 1_048_576.0:F1} MB out per connection; " +
                             $"flood server: {servers[Hostility.Flood].BytesSent / 1_048_576.0:F0} MB sent");

            Assert.False(connectErrors.ContainsKey("tls"), $"the certificate was not trusted: {connectErrors.ToJsonString()}");
            Assert.True(causes["server:message-too-big"] is { } n && (long)n >= giant.Connections, $"oversized messages not classified: {causes.ToJsonString()}");
            Assert.True(giant.BytesSent / Math.Max(1, giant.Connections) < 64L * 1024 * 1024, $"the client read {giant.BytesSent} bytes of 1 GiB frames");
            Assert.True(servers[Hostility.Flood].BytesSent > 1024 * 1024, "the flood server sent next to nothing");
            Assert.True(peak < MaxToolRssMb, $"tool peak RSS {peak} MB");
        }
        finally
        {
            foreach (var server in servers.Values) await server.DisposeAsync();
        }
    }
}
