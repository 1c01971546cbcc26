using System.Net;
using System.Net.WebSockets;
using SimCluster.Grains.Auth;
using SimCluster.Target;
using static SimCluster.Tests.Target.TargetTestClient;

namespace SimCluster.Tests.Auth;

/// <summary>The reference target's token checks: 401 on upgrade, 4001 at expiry plus skew, auth.refresh.</summary>
public sealed class TargetAuthTests
{
    private readonly string _secret = TestKeys.Secret();

    private Task<ReferenceTarget> StartAsync(TimeSpan? skew = null, bool enforce = true) =>
        SimCluster.Tests.Target.TargetTestClient.StartAsync(new TargetOptions { AuthAlgorithm = "HS256", AuthKey = _secret, AuthClockSkew = skew ?? TimeSpan.Zero, AuthEnforceExpiry = enforce });

    private Task<IssuedToken> Mint(TimeSpan lifetime, double badSignature = 0, int client = 1) =>
        TestKeys.Mint(TestKeys.Plan(_secret, lifetime: lifetime) with { BadSignature = badSignature }, client);

    private static async Task<ClientWebSocket> ConnectWithAsync(ReferenceTarget target, IssuedToken token, bool header = false)
    {
        var ws = new ClientWebSocket();
        var uri = target.WebSocketUri;
        if (header) ws.Options.SetRequestHeader("Authorization", "Bearer " + token.Value);
        else uri = new Uri(uri + "?token=" + Uri.EscapeDataString(token.Value));
        using var cts = new CancellationTokenSource(Patience);
        await ws.ConnectAsync(uri, cts.Token);
        return ws;
    }

    private static async Task<HttpStatusCode> UpgradeStatusAsync(ReferenceTarget target, string? token)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        var uri = token is null ? target.WebSocketUri : new Uri(target.WebSocketUri + "?token=" + Uri.EscapeDataString(token));
        try { await ws.ConnectAsync(uri, CancellationToken.None); }
        catch (WebSocketException) { }
        return ws.HttpStatusCode;
    }

    private static async Task HelloAsync(WebSocket ws)
    {
        await SendJsonAsync(ws, new { type = "hello", session = Guid.NewGuid().ToString("N"), lastSeq = 0 });
        Assert.Equal("welcome", (await ReceiveJsonAsync(ws)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Upgrade_needs_a_valid_token_in_the_query_or_the_header()
    {
        await using var target = await StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(target, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(target, (await Mint(TimeSpan.FromSeconds(30), badSignature: 1)).Value));
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(target, "not-a-jwt"));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(target, (await Mint(TimeSpan.FromSeconds(30))).Value));
        using var viaHeader = await ConnectWithAsync(target, await Mint(TimeSpan.FromSeconds(30)), header: true);
        Assert.Equal(WebSocketState.Open, viaHeader.State);
        Assert.Equal(3, target.GetStats().Auth.RejectedHandshakes);
    }

    [Fact]
    public async Task A_connection_is_closed_with_4001_when_its_token_expires_plus_skew_and_not_before()
    {
        await using var target = await StartAsync(skew: TimeSpan.FromSeconds(1));
        var token = await Mint(TimeSpan.FromSeconds(2));
        using var ws = await ConnectWithAsync(target, token);
        await HelloAsync(ws);
        var closed = await ReceiveAsync(ws, TimeSpan.FromSeconds(20));
        Assert.Equal(WebSocketMessageType.Close, closed.Type);
        Assert.Equal((WebSocketCloseStatus)4001, closed.CloseStatus);
        // Never early: the close may come late on a busy machine, but not before exp + skew.
        Assert.True(DateTimeOffset.UtcNow >= token.ExpiresAt + TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, target.GetStats().Auth.ExpiredCloses);
    }

    [Fact]
    public async Task Without_enforcement_an_expired_connection_stays_open()
    {
        await using var target = await StartAsync(enforce: false);
        // Long enough to be still valid at the upgrade on a loaded machine (exp has whole seconds).
        var token = await Mint(TimeSpan.FromSeconds(5));
        using var ws = await ConnectWithAsync(target, token);
        await HelloAsync(ws);
        await Task.Delay(token.ExpiresAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5));
        await SendJsonAsync(ws, new { type = "ping", ts = 7 });
        Assert.Equal("pong", (await ReceiveJsonAsync(ws)).GetProperty("type").GetString());
        Assert.Equal(0, target.GetStats().Auth.ExpiredCloses);
    }

    [Fact]
    public async Task In_band_refresh_takes_a_newer_token_and_rejects_a_replayed_or_badly_signed_one()
    {
        await using var target = await StartAsync();
        var first = await Mint(TimeSpan.FromSeconds(3));
        using var ws = await ConnectWithAsync(target, first);
        await HelloAsync(ws);

        var newer = await Mint(TimeSpan.FromSeconds(60));
        await SendJsonAsync(ws, new { type = "auth.refresh", token = newer.Value });
        var refreshed = await ReceiveJsonAsync(ws);
        Assert.Equal("auth.refreshed", refreshed.GetProperty("type").GetString());
        Assert.Equal(newer.ExpiresAt.ToUnixTimeSeconds(), refreshed.GetProperty("exp").GetInt64());

        await SendJsonAsync(ws, new { type = "auth.refresh", token = first.Value });
        var replay = await ReceiveJsonAsync(ws);
        Assert.Equal("auth.rejected", replay.GetProperty("type").GetString());
        Assert.Equal("stale token", replay.GetProperty("reason").GetString());

        await SendJsonAsync(ws, new { type = "auth.refresh", token = (await Mint(TimeSpan.FromSeconds(120), badSignature: 1)).Value });
        Assert.Equal("bad signature", (await ReceiveJsonAsync(ws)).GetProperty("reason").GetString());

        await SendJsonAsync(ws, new { type = "auth.refresh", token = (await Mint(TimeSpan.FromSeconds(120), client: 2)).Value });
        Assert.Equal("subject mismatch", (await ReceiveJsonAsync(ws)).GetProperty("reason").GetString());

        // The first token's expiry passes: the refreshed connection stays open.
        await Task.Delay(first.ExpiresAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1));
        await SendJsonAsync(ws, new { type = "ping", ts = 1 });
        Assert.Equal("pong", (await ReceiveJsonAsync(ws)).GetProperty("type").GetString());
        var stats = target.GetStats().Auth;
        Assert.Equal(1, stats.Refreshes);
        Assert.Equal(3, stats.RefreshesRejected);
        Assert.Equal(0, stats.ExpiredCloses);
    }

    [Fact]
    public void Target_options_name_a_missing_or_unusable_key_without_showing_it()
    {
        Assert.Contains(new TargetOptions { AuthAlgorithm = "HS256" }.Validate(), e => e.Contains("needs a verification key"));
        var errors = new TargetOptions { AuthAlgorithm = "HS256", AuthKey = "tiny-secret" }.Validate();
        Assert.Contains(errors, e => e.Contains("at least 32 bytes"));
        Assert.DoesNotContain(errors, e => e.Contains("tiny-secret"));
        Assert.DoesNotContain(_secret, new TargetOptions { AuthAlgorithm = "HS256", AuthKey = _secret }.ToString());
    }
}
