using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SimCluster.Tests.Silo;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Hostile;

/// <summary>
/// Issue 23, the control API under hostile requests: unauthenticated loopback access stays, but no request
/// can crash the silo. Depth and size limits answer 400 with the error; so do numbers the scenario parser
/// refuses. The silo itself is started with <c>--http-host ::ffff:127.0.0.1</c> (an IPv4-mapped loopback
/// address, which crashed the silo with a SocketException).
/// </summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HostileApiTests(HostileApiTests.MappedLoopbackSilo silo) : IClassFixture<HostileApiTests.MappedLoopbackSilo>
{
    /// <summary>One silo, no token (loopback), bound to the IPv4-mapped form of 127.0.0.1.</summary>
    public sealed class MappedLoopbackSilo : IAsyncLifetime
    {
        private BackgroundProcess _process = null!;
        public string Temp { get; } = Simcluster.TempFolder("hostile-api");
        public HttpClient Http { get; private set; } = null!;
        internal BackgroundProcess Process => _process;

        public async Task InitializeAsync()
        {
            await Simcluster.EnsureBuiltAsync();
            (_process, var port) = await ControlApiTests.StartSiloAsync(["--http-host", "::ffff:127.0.0.1", "--data-dir", Path.Combine(Temp, "data")], token: null);
            Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        }

        public async Task DisposeAsync()
        {
            Http.Dispose();
            await _process.DisposeAsync();
            try { Directory.Delete(Temp, recursive: true); } catch (IOException) { }
        }
    }

    private HttpClient Http => silo.Http;

    private async Task AssertAliveAsync()
    {
        Assert.False(silo.Process.HasExited, $"the silo exited\n{silo.Process.Output}");
        using var ready = await Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static async Task<string> ErrorsOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())?["errors"]?.ToJsonString() ?? "(no errors field)";

    [Fact]
    public async Task A_silo_bound_to_ipv4_mapped_loopback_starts_and_serves_on_127_0_0_1_without_a_token()
    {
        Assert.Contains("silo ready", silo.Process.Output);
        await AssertAliveAsync();
        using var runs = await Http.GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.OK, runs.StatusCode); // loopback: no token needed
    }

    [Fact]
    public async Task A_json_body_nested_past_the_depth_limit_is_400_with_the_error()
    {
        var deep = new StringBuilder("{\"scenario\": \"name: x\", \"set\": ");
        deep.Append('[', 20_000).Append(']', 20_000).Append('}');
        using var response = await Http.PostAsync("/api/runs", new StringContent(deep.ToString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("levels deep", await ErrorsOf(response));
        await AssertAliveAsync();
    }

    [Fact]
    public async Task A_chunked_body_over_the_size_limit_is_400_whatever_content_length_says()
    {
        var big = JsonSerializerBody(new string('#', 300 * 1024));
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("larger than the limit of 262144 bytes", await ErrorsOf(response));
        await AssertAliveAsync();
    }

    [Fact]
    public async Task A_scenario_nested_20000_deep_is_400_and_the_silo_lives()
    {
        // 100 KB, under the body limit: it killed the silo with a stack overflow.
        var yaml = "name: deep\ntarget: embedded\nduration: 5s\nclients: " + string.Concat(Enumerable.Repeat("{a: ", 20_000)) + "1" + new string('}', 20_000) + "\n";
        using var response = await Http.PostAsJsonAsync("/api/runs", new { scenario = yaml });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("nested more than 256 levels", await ErrorsOf(response));
        await AssertAliveAsync();
    }

    [Theory]
    [InlineData("duration: ٣s", "duration")]
    [InlineData("duration: 99999999999999999999999999999s", "duration")]
    [InlineData("duration: 5s\nnetwork: { bandwidthDown: ٣Mbps }", "network.bandwidthDown")]
    [InlineData("duration: 5s\npopulation:\n  - { name: a, share: ٥٠% }", "population[0].share")]
    public async Task Unicode_digits_and_huge_numbers_are_400_with_the_key_not_500(string lines, string key)
    {
        using var response = await Http.PostAsJsonAsync("/api/runs", new { scenario = $"name: digits\ntarget: embedded\nclients: 2\n{lines}\n" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"key\":\"{key}\"", await ErrorsOf(response));
        await AssertAliveAsync();
    }

    private static string JsonSerializerBody(string scenario) => new JsonObject { ["scenario"] = scenario }.ToJsonString();
}
