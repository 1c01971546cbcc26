using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;
using SimCluster.Target;

namespace SimCluster.Tests.Auth;

public sealed class TokenSourceTests
{
    [Theory]
    [InlineData("HS256")]
    [InlineData("HS512")]
    [InlineData("RS256")]
    public async Task Minted_tokens_verify_with_the_targets_key_and_carry_subject_and_lifetime(string algorithm)
    {
        var material = algorithm.StartsWith("RS") ? TestKeys.RsaPrivatePem() : TestKeys.Secret();
        var plan = TestKeys.Plan(material, algorithm, TimeSpan.FromSeconds(30));
        var before = DateTimeOffset.UtcNow;
        var token = await TestKeys.Mint(plan, client: 7);
        var after = DateTimeOffset.UtcNow;

        var verifier = new JwtVerifier(algorithm, SigningKeys.VerificationMaterial(material, algorithm), TimeSpan.Zero);
        var (verified, reason) = await verifier.VerifyAsync(token.Value);
        Assert.True(verified is not null, reason);
        Assert.Equal("client-7", verified!.Value.Subject);
        Assert.Equal(token.ExpiresAt, verified.Value.ExpiresAt);
        // 30 s from the instant it was minted (exp is whole seconds), however long the minting took.
        Assert.InRange(token.ExpiresAt, before.AddSeconds(29), after.AddSeconds(30));
        Assert.Equal(algorithm, new JsonWebToken(token.Value).Alg);
    }

    [Fact]
    public async Task Bad_signature_injection_signs_with_a_key_the_target_does_not_know()
    {
        var secret = TestKeys.Secret();
        var plan = TestKeys.Plan(secret) with { BadSignature = 1.0 };
        var verifier = new JwtVerifier("HS256", secret, TimeSpan.Zero);
        var (verified, reason) = await verifier.VerifyAsync((await TestKeys.Mint(plan)).Value);
        Assert.Null(verified);
        Assert.Equal("bad signature", reason);
    }

    [Fact]
    public async Task A_client_clock_behind_mints_tokens_that_expire_earlier_in_real_time()
    {
        var plan = TestKeys.Plan(TestKeys.Secret()) with { ClockOffset = TimeSpan.FromSeconds(-20) };
        var before = DateTime.UtcNow;
        var token = await TestKeys.Mint(plan);
        var after = DateTime.UtcNow;
        var exp = new JsonWebToken(token.Value).ValidTo;
        Assert.InRange(exp, before.AddSeconds(9), after.AddSeconds(10)); // 30 s lifetime, clock 20 s behind, exp in whole seconds
    }

    [Fact]
    public async Task Aligned_expiry_gives_every_client_the_same_expiry()
    {
        var plan = TestKeys.Plan(TestKeys.Secret(), lifetime: TimeSpan.FromSeconds(30)) with { AlignedExpiry = true, Before = TimeSpan.FromSeconds(5) };
        var a = await TestKeys.Mint(plan, client: 1);
        var b = await TestKeys.Mint(plan, client: 2, seed: 2);
        Assert.Equal(a.ExpiresAt, b.ExpiresAt);
        Assert.Equal(0, a.ExpiresAt.ToUnixTimeSeconds() % 30);
    }

    [Fact]
    public void Key_problems_are_named_without_the_key()
    {
        Assert.Contains("at least 32 bytes", SigningKeys.Check("short-secret", "HS256"));
        Assert.Contains("PEM RSA private key", SigningKeys.Check("not a pem", "RS256"));
        Assert.DoesNotContain("short-secret", SigningKeys.Check("short-secret", "HS256"));
        Assert.Null(SigningKeys.TryReadMaterial("SIMCLUSTER_TEST_SURELY_UNSET_VARIABLE", null, out var error));
        Assert.Contains("SIMCLUSTER_TEST_SURELY_UNSET_VARIABLE is not set", error);
    }

    [Theory]
    [InlineData("ok")]
    [InlineData("500")]
    [InlineData("slow")]
    [InlineData("garbage")]
    public async Task Url_source_reads_access_token_and_expires_in_and_reports_a_bad_endpoint(string mode)
    {
        await using var endpoint = await TokenEndpoint.StartAsync(mode);
        // The answering endpoints get a timeout a busy machine cannot outlast; the one that never answers, a short one.
        var plan = new AuthPlan { Source = TokenSourceKind.Url, TokenUrl = endpoint.Url, FetchTimeout = TimeSpan.FromSeconds(mode == "slow" ? 1 : 60) };
        var source = new UrlTokenSource(plan, TimeProvider.System);
        if (mode == "ok")
        {
            var before = DateTimeOffset.UtcNow;
            var token = await source.IssueAsync(3, CancellationToken.None);
            var after = DateTimeOffset.UtcNow;
            Assert.Equal("token-for-client-3", token.Value);
            Assert.InRange(token.ExpiresAt, before.AddSeconds(60), after.AddSeconds(60)); // expires_in 60 from the answer
            return;
        }
        var error = await Assert.ThrowsAsync<TokenUnavailableException>(() => source.IssueAsync(3, CancellationToken.None));
        Assert.Equal("token-endpoint", error.Label);
        Assert.Contains(mode switch { "500" => "HTTP 500", "slow" => "did not answer within 1000 ms", _ => "lacks access_token" }, error.Message);
    }
}

/// <summary>
/// A tiny token endpoint on loopback, started by a test: <c>ok</c> answers {access_token, expires_in: 60},
/// <c>500</c> fails, <c>slow</c> answers after 3 s, <c>garbage</c> answers JSON without a token.
/// </summary>
internal sealed class TokenEndpoint : IAsyncDisposable
{
    private readonly SimCluster.Tests.Support.LoopbackListener _listener;
    private int _requests;

    private TokenEndpoint(string mode) => _listener = new SimCluster.Tests.Support.LoopbackListener((socket, ct) => AnswerAsync(socket, mode, ct));

    public string Url => $"http://127.0.0.1:{_listener.Port}/token";

    public int Requests => Volatile.Read(ref _requests);

    public static Task<TokenEndpoint> StartAsync(string mode) => Task.FromResult(new TokenEndpoint(mode));

    private async Task AnswerAsync(Socket client, string mode, CancellationToken ct)
    {
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: false);
            var request = new StringBuilder();
            var buffer = new byte[4096];
            int contentLength = -1, bodyStart = -1;
            while (bodyStart < 0 || request.Length - bodyStart < contentLength)
            {
                var n = await stream.ReadAsync(buffer, ct);
                if (n == 0) return;
                request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                var text = request.ToString();
                if (bodyStart < 0 && text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                {
                    bodyStart = end + 4;
                    var header = text[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                    contentLength = header is null ? 0 : int.Parse(header["Content-Length:".Length..].Trim());
                }
            }
            Interlocked.Increment(ref _requests);
            var body = request.ToString()[bodyStart..];
            var clientId = body.Split('&').Select(p => p.Split('=')).FirstOrDefault(p => p[0] == "client_id")?[1] ?? "?";
            if (mode == "slow") await Task.Delay(Timeout.Infinite, ct); // never answers: the client gives up; disposal ends it
            var (status, json) = mode switch
            {
                "500" => ("500 Internal Server Error", "{\"error\":\"server_error\"}"),
                "garbage" => ("200 OK", "{\"token_type\":\"bearer\"}"),
                _ => ("200 OK", $"{{\"access_token\":\"token-for-{clientId}\",\"token_type\":\"bearer\",\"expires_in\":60}}"),
            };
            var response = $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(json)}\r\nConnection: close\r\n\r\n{json}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(response), ct);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
        }
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
