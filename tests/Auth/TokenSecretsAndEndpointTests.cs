using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Auth;

/// <summary>Token endpoint runs (a loopback endpoint started by the test) and the no-secrets-in-output check.</summary>
[Collection(PublishCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TokenSecretsAndEndpointTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("tokens-io");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static long Count(JsonObject report, string metric) => (long)report["metrics"]![metric]!["value"]!;

    private string EndpointScenario(string url)
    {
        var path = Path.Combine(_temp, $"endpoint-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $$"""
            name: token-endpoint
            target: embedded
            protocol: session
            clients: 10
            duration: 8s
            rampUp: 1s
            auth:
              tokenUrl: {{url}}
              fetchTimeout: 1s
              send: header
              refresh: { mode: reconnect, before: 10s }
            thresholds:
              connect_failures: ["count==0"]
            """);
        return path;
    }

    [Theory]
    [InlineData("ok")]
    [InlineData("500")]
    [InlineData("slow")]
    public async Task Token_endpoint_answers_failures_and_slowness_are_reported(string mode)
    {
        await using var endpoint = await TokenEndpoint.StartAsync(mode);
        var dir = Path.Combine(_temp, mode);
        var run = await Simcluster.RunAsync("run", EndpointScenario(endpoint.Url), "--no-live", "--out", dir);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!.AsObject();
        if (mode == "ok")
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(10, Count(report, "connects"));
            Assert.Equal(10, (long)report["metrics"]!["token_fetch_time"]!["count"]!);
            Assert.Equal(10, endpoint.Requests);
            return;
        }
        Assert.Equal(99, run.ExitCode);
        Assert.Equal(0, Count(report, "connects"));
        Assert.True(Count(report, "token_fetch_failures") >= 10, run.ToString());
        // Every failed fetch is a failed connect attempt, except a fetch still failing when the run stopped
        // its client (at most one per client): that attempt was abandoned, not failed.
        var fetchFailures = Count(report, "token_fetch_failures");
        Assert.InRange((long)report["connectErrors"]!["token-endpoint"]!, fetchFailures - 10, fetchFailures);
        Assert.InRange(Count(report, "connect_failures"), fetchFailures - 10, fetchFailures);
    }

    [Fact]
    public async Task A_token_endpoint_off_loopback_is_refused_up_front()
    {
        var run = await Simcluster.RunAsync("run", EndpointScenario("http://192.0.2.1/token"), "--no-live", "--out", Path.Combine(_temp, "off"));
        Assert.Equal(104, run.ExitCode);
        Assert.Contains("auth.tokenUrl: only token endpoints on loopback", run.Stderr);
    }

    [Fact]
    public async Task A_missing_key_is_named_with_file_line_and_key()
    {
        var run = await Simcluster.RunAsync("run", "scenarios/token-refresh.yaml", "--set", "auth.jwt.generateKey=false",
            "--set", "auth.jwt.secretEnv=SIMCLUSTER_TEST_UNSET_SECRET", "--no-live", "--out", Path.Combine(_temp, "no-key"));
        Assert.Equal(104, run.ExitCode);
        Assert.Matches(@"scenarios/token-refresh\.yaml:\d+:\d+: auth\.jwt\.secretEnv: environment variable SIMCLUSTER_TEST_UNSET_SECRET is not set", run.Stderr);
    }

    [Fact]
    public async Task Neither_the_key_nor_any_token_appears_in_output_logs_or_reports()
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var dir = Path.Combine(_temp, "secrets");
        var run = await Simcluster.RunWithEnvironmentAsync(new Dictionary<string, string> { ["SIMCLUSTER_TEST_JWT_SECRET"] = secret },
            "run", "scenarios/token-refresh.yaml", "--clients", "10", "--duration", "12s", "--no-live", "--out", dir,
            "--set", "rampUp=1s", "--set", "auth.jwt.generateKey=false", "--set", "auth.jwt.secretEnv=SIMCLUSTER_TEST_JWT_SECRET",
            "--set", "auth.jwt.lifetime=6s", "--set", "auth.refresh.before=3s", "--set", "thresholds.token_refreshes=[\"count>=10\"]");
        Assert.True(Contract.Graded(run.ExitCode, dir), run.ToString()); // the verdict depends on timing; the files are what is checked
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!.AsObject();
        Assert.True(Count(report, "token_refreshes") >= 10); // tokens really were minted, sent and refreshed

        var places = new Dictionary<string, string> { ["stdout"] = run.Stdout, ["stderr"] = run.Stderr };
        foreach (var file in Directory.GetFiles(dir)) places[Path.GetFileName(file)] = File.ReadAllText(file);
        Assert.Contains("report.html", places.Keys);
        Assert.Contains("report.junit.xml", places.Keys);
        foreach (var (place, text) in places)
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"the signing key appears in {place}");
            // Every JWT starts with the base64 of {"alg": ...; none may be printed or stored.
            Assert.False(text.Contains("eyJhbGciOi", StringComparison.Ordinal), $"a token appears in {place}");
        }
    }
}
