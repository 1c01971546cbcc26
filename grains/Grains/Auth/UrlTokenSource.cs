using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using SimCluster.Abstractions.Plans;
using SimCluster.Transport;

namespace SimCluster.Grains.Auth;

/// <summary>
/// Tokens from an OAuth2 client-credentials style endpoint: POST <c>grant_type=client_credentials&amp;client_id=client-N</c>,
/// answer <c>{"access_token": "...", "expires_in": seconds}</c>. Each request is bounded by the plan's fetch timeout;
/// a slow, failing or garbled endpoint surfaces as <see cref="TokenUnavailableException"/>.
/// </summary>
public sealed class UrlTokenSource(AuthPlan plan, TimeProvider time) : ITokenSource
{
    /// <summary>
    /// Token endpoints must be on loopback (the CLI checks the name), and the address connected to is checked
    /// too. No redirect is followed: a 307 would re-send the client's credentials wherever it points.
    /// </summary>
    private static readonly HttpClient Http = new(Egress.HttpHandler(EgressRule.LoopbackOnly, Timeout.InfiniteTimeSpan))
    {
        Timeout = Timeout.InfiniteTimeSpan,
        MaxResponseContentBufferSize = 64 * 1024, // a token answer is a few hundred bytes
    };

    public async Task<IssuedToken> IssueAsync(int clientIndex, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(plan.FetchTimeout);
        try
        {
            using var content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", $"client-{clientIndex}")]);
            using var response = await Http.PostAsync(plan.TokenUrl, content, timeout.Token).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 300 and < 400)
                throw new TokenUnavailableException("token-endpoint", $"token endpoint answered HTTP {(int)response.StatusCode}, a redirect, which is not followed");
            if (!response.IsSuccessStatusCode)
                throw new TokenUnavailableException("token-endpoint", $"token endpoint answered HTTP {(int)response.StatusCode}");
            var answer = await response.Content.ReadFromJsonAsync<TokenAnswer>(timeout.Token).ConfigureAwait(false);
            if (answer is not { AccessToken: { Length: > 0 } token, ExpiresIn: > 0 })
                throw new TokenUnavailableException("token-endpoint", "token endpoint answer lacks access_token or a positive expires_in");
            return new IssuedToken(token, ClientClock.Now(time, plan) + TimeSpan.FromSeconds(answer.ExpiresIn));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TokenUnavailableException("token-endpoint", $"token endpoint did not answer within {plan.FetchTimeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or NotSupportedException)
        {
            throw Egress.Refusal(e) is { } refused
                ? new TokenUnavailableException("egress-refused", $"token endpoint not contacted: {refused.Message}", refused)
                : new TokenUnavailableException("token-endpoint", $"token endpoint failed: {e.GetType().Name}");
        }
    }

    private sealed record TokenAnswer
    {
        [JsonPropertyName("access_token")] public string? AccessToken { get; init; }
        [JsonPropertyName("expires_in")] public double ExpiresIn { get; init; }
    }
}

/// <summary>Token sources by name, as in the plan.</summary>
public static class TokenSources
{
    public static IReadOnlyList<string> Names { get; } = ["minted", "url"];

    public static ITokenSource Create(AuthPlan plan, TimeProvider time, Random random) => plan.Source switch
    {
        TokenSourceKind.Minted => new MintedTokenSource(plan, time, random),
        TokenSourceKind.Url => new UrlTokenSource(plan, time),
        _ => throw new ArgumentOutOfRangeException(nameof(plan), plan.Source, "unknown token source"),
    };
}
