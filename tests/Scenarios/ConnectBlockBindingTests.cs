using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios;

namespace SimCluster.Tests.Scenarios;

/// <summary>The connect block every protocol shares: what it binds to, and each mistake with its line and column.</summary>
[Trait("Category", "Unit")]
public sealed class ConnectBlockBindingTests
{
    // Lines 1-5; the connect block starts at line 6.
    private const string Head = "name: x\ntarget: ws://127.0.0.1:9/ws\nclients: 1\nduration: 10s\nprotocol: echo\n";

    private static ScenarioLoadResult Load(string text, string head = Head) => ScenarioLoader.Parse(head + text, "/tmp/scenarios/t.yaml");

    [Fact]
    public void The_block_binds_into_the_plan_in_the_scenarios_order_with_secrets_only_named()
    {
        var loaded = Load("""
            connect:
              subprotocols: [chat.v2, chat.v1]
              origin: https://app.example.com
              headers:
                X-Tenant: tenant-{client}
                X-Api-Key: { secretEnv: SIM_API_KEY }
                X-Pass: { secretFile: secrets/pass.txt }
              query:
                user: u{client}
                attempt: '{seq}'
            """);
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        var connect = loaded.Scenario!.Connect;
        var plan = connect.Plan;
        Assert.Equal(["chat.v2", "chat.v1"], plan.SubProtocols);
        Assert.Equal(ConnectValuePlan.Literal("https://app.example.com"), plan.Origin);
        Assert.Equal(["X-Tenant", "X-Api-Key", "X-Pass"], plan.Headers.Select(h => h.Name));
        Assert.Equal(ConnectValuePlan.Literal("tenant-{client}"), plan.Headers[0].Value);
        Assert.Equal(new ConnectValuePlan { Source = ConnectValueSource.Env, Text = "SIM_API_KEY" }, plan.Headers[1].Value);
        Assert.Equal(new ConnectValuePlan { Source = ConnectValueSource.File, Text = "/tmp/scenarios/secrets/pass.txt" }, plan.Headers[2].Value);
        Assert.Equal([("user", "u{client}"), ("attempt", "{seq}")], plan.Query.Select(q => (q.Name, q.Value.Text)));
        // Where each secret is written, for the run's check before it starts.
        Assert.Equal([("connect.headers.X-Api-Key.secretEnv", 11, 29), ("connect.headers.X-Pass.secretFile", 12, 27)],
            connect.Secrets.Select(s => (s.Key, s.Line, s.Column)));
    }

    [Fact]
    public void A_ca_file_is_read_into_the_plan_and_one_missing_or_without_certificates_is_an_error_at_its_key()
    {
        var folder = Directory.CreateTempSubdirectory("simcluster-ca-").FullName;
        try
        {
            using var ca = SimCluster.Tests.Support.TestCertificates.Ca();
            File.WriteAllText(Path.Combine(folder, "ca.pem"), SimCluster.Tests.Support.TestCertificates.Pem(ca));
            File.WriteAllText(Path.Combine(folder, "empty.pem"), "not a certificate\n");
            var scenario = Path.Combine(folder, "t.yaml");
            var good = ScenarioLoader.Parse(Head + "connect:\n  caFile: ca.pem\n", scenario);
            Assert.True(good.Ok, string.Join("\n", good.Errors));
            Assert.Equal(File.ReadAllText(Path.Combine(folder, "ca.pem")), good.Scenario!.Connect.Plan.TrustedCaPem);
            Assert.False(good.Scenario.Connect.Plan.IsEmpty);

            foreach (var (file, why) in new[] { ("missing.pem", "cannot read"), ("empty.pem", "holds no certificate") })
            {
                var bad = ScenarioLoader.Parse(Head + $"connect:\n  caFile: {file}\n", scenario);
                var error = Assert.Single(bad.Errors);
                Assert.Equal((7, 11), (error.Line, error.Column));
                Assert.Contains("connect.caFile", error.ToString());
                Assert.Contains(why, error.Message);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Without_the_block_the_plan_is_empty() =>
        Assert.True(Load("").Scenario!.Connect.Plan.IsEmpty);

    [Theory]
    [InlineData("connect:\n  headers:\n    Host: a\n", 8, 5, "connect.headers.Host", "the WebSocket client owns")]
    [InlineData("connect:\n  headers:\n    upgrade: a\n", 8, 5, "connect.headers.upgrade", "the WebSocket client owns")]
    [InlineData("connect:\n  headers:\n    Connection: a\n", 8, 5, "connect.headers.Connection", "the WebSocket client owns")]
    [InlineData("connect:\n  headers:\n    Sec-WebSocket-Key: a\n", 8, 5, "connect.headers.Sec-WebSocket-Key", "belongs to the WebSocket handshake")]
    [InlineData("connect:\n  headers:\n    sec-websocket-protocol: a\n", 8, 5, "connect.headers.sec-websocket-protocol", "connect.subprotocols")]
    [InlineData("connect:\n  headers:\n    Transfer-Encoding: chunked\n", 8, 5, "connect.headers.Transfer-Encoding", "hop-by-hop")]
    [InlineData("connect:\n  headers:\n    Origin: https://a.example\n", 8, 5, "connect.headers.Origin", "connect.origin")]
    [InlineData("connect:\n  headers:\n    'X Bad': a\n", 8, 5, "connect.headers.X Bad", "is not a header name")]
    [InlineData("connect:\n  headers:\n    X-A: a\n    x-a: b\n", 9, 5, "connect.headers.x-a", "given twice")]
    [InlineData("connect:\n  headers:\n    X-A: \"a\\r\\nInjected: 1\"\n", 8, 10, "connect.headers.X-A", "line break")]
    [InlineData("connect:\n  headers:\n    X-A: [a, b]\n", 8, 10, "connect.headers.X-A", "expected a text value, { secretEnv: NAME } or { secretFile: PATH }")]
    [InlineData("connect:\n  headers:\n    X-A: { secretEnv: A, secretFile: b }\n", 8, 10, "connect.headers.X-A", "exactly one of secretEnv or secretFile")]
    [InlineData("connect:\n  headers:\n    X-A: { secretEnv: 'not a name' }\n", 8, 23, "connect.headers.X-A.secretEnv", "environment variable name")]
    [InlineData("connect:\n  headers:\n    X-A: { secret: abc }\n", 8, 12, "connect.headers.X-A.secret", "secretEnv or secretFile")]
    [InlineData("connect:\n  headers:\n    X-A: { secretEnv: A, fromEnv: B }\n", 8, 26, "connect.headers.X-A.fromEnv", "unknown key")]
    [InlineData("connect:\n  headers:\n    X-A: pad{body}\n", 8, 10, "connect.headers.X-A", "{body}")]
    [InlineData("connect:\n  subprotocols: []\n", 7, 17, "connect.subprotocols", "is empty")]
    [InlineData("connect:\n  subprotocols: [chat, 'a b']\n", 7, 24, "connect.subprotocols[1]", "is not a subprotocol name")]
    [InlineData("connect:\n  subprotocols: [chat, chat]\n", 7, 24, "connect.subprotocols[1]", "listed twice")]
    [InlineData("connect:\n  origin: app.example.com\n", 7, 11, "connect.origin", "expected an origin")]
    [InlineData("connect:\n  origin: https://app.example.com/path\n", 7, 11, "connect.origin", "expected an origin")]
    [InlineData("connect:\n  query:\n    '': a\n", 8, 5, "connect.query", "needs a name")]
    [InlineData("connect:\n  query:\n    a: { }\n", 8, 8, "connect.query.a", "exactly one of secretEnv or secretFile")]
    [InlineData("connect:\n  queries: { a: b }\n", 7, 3, "connect.queries", "unknown key")]
    public void A_mistake_in_the_block_is_reported_where_it_is(string block, int line, int column, string key, string text)
    {
        var loaded = Load(block);
        Assert.False(loaded.Ok);
        var error = Assert.Single(loaded.Errors);
        Assert.Equal((line, column, key), (error.Line, error.Column, error.Key));
        Assert.Contains(text, error.Message);
    }

    [Theory]
    [InlineData("protocol: echo\nauth: { jwt: { secretEnv: K }, send: header, refresh: { mode: none } }\n", "headers:\n    Authorization: x", "connect.headers.Authorization", "auth.send: header")]
    [InlineData("protocol: echo\nauth: { jwt: { secretEnv: K }, refresh: { mode: none } }\n", "query:\n    token: x", "connect.query.token", "auth.send: query")]
    [InlineData("protocol: signalr\n", "query:\n    id: x", "connect.query.id", "protocol signalr")]
    [InlineData("protocol: signalr\n", "query:\n    access_token: x", "connect.query.access_token", "protocol signalr")]
    [InlineData("protocol: socketio\n", "query:\n    EIO: '3'", "connect.query.EIO", "protocol socketio")]
    [InlineData("protocol: signalr\n", "query:\n    n: '{seq}'", "connect.query.n", "statefulReconnect")]
    public void What_the_protocol_or_auth_sets_itself_is_refused(string setting, string block, string key, string text)
    {
        var loaded = Load($"{setting}connect:\n  {block}\n", "name: x\ntarget: ws://127.0.0.1:9/ws\nclients: 1\nduration: 10s\n");
        Assert.False(loaded.Ok);
        var error = Assert.Single(loaded.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(text, error.Message);
    }

    [Fact]
    public void A_query_that_changes_per_connect_is_fine_for_signalr_without_stateful_reconnect() =>
        Assert.True(Load("signalr: { skipNegotiation: true }\nconnect:\n  query:\n    n: '{seq}'\n",
            "name: x\ntarget: ws://127.0.0.1:9/ws\nclients: 1\nduration: 10s\nprotocol: signalr\n").Ok);

    [Fact]
    public void A_secret_looking_header_written_in_the_file_is_warned_about_and_masked_in_the_warning()
    {
        var loaded = Load("connect:\n  headers:\n    X-Api-Key: abc123\n");
        Assert.True(loaded.Ok);
        var warning = Assert.Single(loaded.Warnings);
        Assert.Equal((8, 16, "connect.headers.X-Api-Key"), (warning.Line, warning.Column, warning.Key));
        Assert.Contains("secretEnv", warning.Message);
        Assert.DoesNotContain("abc123", warning.Message);
    }
}
