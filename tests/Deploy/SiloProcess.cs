using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SimCluster.Tests.Support;
using System.Text;

namespace SimCluster.Tests.Deploy;

/// <summary>A published `simcluster silo` child process on free loopback ports.</summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    /// <summary>Stands in for the simcluster-api-token Secret the manifests read SIMCLUSTER_API_TOKEN from.</summary>
    public const string TestApiToken = "deploy-test-token-0123456789";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5), DefaultRequestHeaders = { Authorization = new("Bearer", TestApiToken) } };

    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    private SiloProcess(string executable, IReadOnlyDictionary<string, string> environment, int? primarySiloPort)
    {
        SiloPort = FreePort();
        GatewayPort = FreePort();
        HttpPort = FreePort();
        List<string> args = ["silo", "--cluster", "localhost", "--silo-port", SiloPort.ToString(), "--gateway-port", GatewayPort.ToString(),
            "--http-port", HttpPort.ToString(), "--http-host", "127.0.0.1", "--primary-silo-port", (primarySiloPort ?? SiloPort).ToString()];
        var psi = new ProcessStartInfo(executable, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        PublishedCli.CleanEnvironment(psi);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static SiloProcess Start(string executable, IReadOnlyDictionary<string, string> environment, int? primarySiloPort = null) =>
        new(executable, environment, primarySiloPort);

    public async Task<HttpStatusCode?> GetAsync(string path)
    {
        try
        {
            using var response = await Http.GetAsync($"http://127.0.0.1:{HttpPort}{path}");
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Polls GET /health/ready until 200 (bounded), failing with the silo's output.</summary>
    public async Task WaitReadyAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) Assert.Fail($"the silo exited with {_process.ExitCode} before it was ready:\n{Output}");
            if (await GetAsync("/health/ready") == HttpStatusCode.OK) return;
            await Task.Delay(250);
        }
        Assert.Fail($"GET /health/ready did not answer 200 within {within.TotalSeconds} s:\n{Output}");
    }

    /// <summary>Sends SIGTERM (what the kubelet sends) and waits, at most <paramref name="within"/>, for the exit.</summary>
    public async Task TerminateAsync(TimeSpan within)
    {
        if (_process.HasExited) return;
        Assert.True(Signals.Send(_process.Id, Signals.Terminate));
        using var timeout = new CancellationTokenSource(within);
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { Assert.Fail($"the silo did not exit within {within.TotalSeconds} s of SIGTERM:\n{Output}"); }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
