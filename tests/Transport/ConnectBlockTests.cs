using System.Text;
using SimCluster.Abstractions.Plans;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

/// <summary>The connect block applied to a client's connect options, and the upgrade request built from them.</summary>
[Trait("Category", "Unit")]
public sealed class ConnectBlockTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private static ConnectOptions Options(string target = "ws://127.0.0.1:5080/ws?room=7") => new() { Target = new Uri(target) };

    private static string Request(ConnectOptions options) =>
        Encoding.ASCII.GetString(UpgradeHandshake.BuildRequest(options.Target, Key, options.Headers, options.SubProtocols));

    private static ConnectPlan Plan(params (string Name, string Value)[] query) => new()
    {
        SubProtocols = ["chat.v2", "chat.v1"],
        Origin = ConnectValuePlan.Literal("https://tenant{client}.example.com"),
        Headers = [new ConnectParameterPlan { Name = "X-Client", Value = ConnectValuePlan.Literal("c{client}-a{seq}") }],
        Query = [.. query.Select(q => new ConnectParameterPlan { Name = q.Name, Value = ConnectValuePlan.Literal(q.Value) })],
    };

    [Fact]
    public void Headers_origin_and_query_go_into_the_request_with_the_templates_filled_per_client_and_attempt()
    {
        var block = ConnectBlock.For(Plan(("user", "u{client}"), ("attempt", "{seq}"), ("at", "{ts}"), ("odd", "a b&c=d")), client: 42)!;
        var first = block.Apply(Options(), attempt: 1, unixMs: 1_700_000_000_123);
        var second = block.Apply(Options(), attempt: 2, unixMs: 1_700_000_000_999);

        var request = Request(first);
        Assert.StartsWith("GET /ws?room=7&user=u42&attempt=1&at=1700000000123&odd=a%20b%26c%3Dd HTTP/1.1\r\n", request);
        Assert.Contains("\r\nOrigin: https://tenant42.example.com\r\n", request);
        Assert.Contains("\r\nX-Client: c42-a1\r\n", request);
        Assert.Contains("\r\nSec-WebSocket-Protocol: chat.v2, chat.v1\r\n", request);
        Assert.True(first.RequireSubProtocol);
        // The origin comes first, then the headers in the scenario's order, after what was already there.
        Assert.Equal(["Origin", "X-Client"], first.Headers.Select(h => h.Key));
        Assert.Equal("?room=7&user=u42&attempt=2&at=1700000000999&odd=a%20b%26c%3Dd", second.Target.Query);
        Assert.Contains("\r\nX-Client: c42-a2\r\n", Request(second));
    }

    [Fact]
    public void The_protocols_own_subprotocol_stays_first_and_a_user_list_adds_to_it_once()
    {
        // graphql-ws offers its own through the same Offer the block uses.
        var graphql = Options() with { SubProtocols = [] };
        graphql = graphql.Offer(["graphql-transport-ws"]);
        var block = ConnectBlock.For(new ConnectPlan { SubProtocols = ["extra", "graphql-transport-ws"] }, 0)!;
        var applied = block.Apply(graphql, 1, 0);
        Assert.Equal(["graphql-transport-ws", "extra"], applied.SubProtocols);
        Assert.True(applied.RequireSubProtocol);
        // Without a user list nothing is required: graphql-ws alone still accepts a server that picks none.
        Assert.False(graphql.RequireSubProtocol);
        Assert.Same(graphql, graphql.Offer(["graphql-transport-ws"]));
    }

    [Fact]
    public void An_empty_plan_is_no_block() => Assert.Null(ConnectBlock.For(new ConnectPlan(), 3));

    [Fact]
    public void A_secret_comes_from_its_environment_variable_or_file_and_a_missing_one_is_a_classified_failure()
    {
        var variable = "SIMCLUSTER_TEST_CONNECT_" + Guid.NewGuid().ToString("N");
        var file = Path.Combine(Path.GetTempPath(), variable + ".txt");
        Environment.SetEnvironmentVariable(variable, "s3cret-env");
        File.WriteAllText(file, "s3cret-file\n");
        try
        {
            var block = ConnectBlock.For(new ConnectPlan
            {
                Headers =
                [
                    new ConnectParameterPlan { Name = "X-Env", Value = new ConnectValuePlan { Source = ConnectValueSource.Env, Text = variable } },
                    new ConnectParameterPlan { Name = "X-File", Value = new ConnectValuePlan { Source = ConnectValueSource.File, Text = file } },
                ],
                Query = [new ConnectParameterPlan { Name = "key", Value = new ConnectValuePlan { Source = ConnectValueSource.Env, Text = variable } }],
            }, 0)!;
            var applied = block.Apply(Options(), 1, 0);
            Assert.Equal([new("X-Env", "s3cret-env"), new KeyValuePair<string, string>("X-File", "s3cret-file")], applied.Headers);
            Assert.Equal("?room=7&key=s3cret-env", applied.Target.Query);
            Assert.False(applied.RequireSubProtocol);

            var missing = ConnectBlock.For(new ConnectPlan
            {
                Headers = [new ConnectParameterPlan { Name = "X-Gone", Value = new ConnectValuePlan { Source = ConnectValueSource.Env, Text = variable + "_UNSET" } }],
            }, 0)!;
            var error = Assert.Throws<ConnectFailedException>(() => missing.Apply(Options(), 1, 0));
            Assert.Equal(ConnectFailure.SecretUnavailable, error.Failure);
            Assert.Equal("secret-unavailable", error.Label);
            Assert.Contains(variable + "_UNSET", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            File.Delete(file);
        }
    }

    [Fact]
    public void A_secret_with_a_line_break_never_reaches_the_wire_nor_the_message()
    {
        var variable = "SIMCLUSTER_TEST_CONNECT_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "abc\r\nInjected: yes");
        try
        {
            var block = ConnectBlock.For(new ConnectPlan
            {
                Headers = [new ConnectParameterPlan { Name = "X-Env", Value = new ConnectValuePlan { Source = ConnectValueSource.Env, Text = variable } }],
            }, 0)!;
            var error = Assert.Throws<ConnectFailedException>(() => block.Apply(Options(), 1, 0));
            Assert.Equal(ConnectFailure.SecretUnavailable, error.Failure);
            Assert.DoesNotContain("Injected", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void The_header_rules_refuse_what_the_client_owns_and_accept_the_rest()
    {
        foreach (var owned in (string[])["Host", "UPGRADE", "connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Origin", "Content-Length", "X Y", ""])
            Assert.NotNull(ConnectRules.RefusedHeader(owned));
        foreach (var fine in (string[])["X-Api-Key", "Authorization", "Cookie", "User-Agent", "x_custom"])
            Assert.Null(ConnectRules.RefusedHeader(fine));
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", true, ConnectFailure.NoSubprotocol, "no-subprotocol")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat.v3", false, ConnectFailure.UnofferedSubprotocol, "unoffered-subprotocol")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat.v3", true, ConnectFailure.UnofferedSubprotocol, "unoffered-subprotocol")]
    public void A_server_choosing_no_or_another_subprotocol_is_a_classified_failure(string response, bool required, ConnectFailure failure, string label)
    {
        var error = Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(response, Key, ["chat.v2", "chat.v1"], required));
        Assert.Equal((failure, label), (error.Failure, error.Label));
        // The server's choice among those offered is accepted, required or not.
        UpgradeHandshake.Validate(response.Split("\r\nSec-WebSocket-Protocol")[0] + "\r\nSec-WebSocket-Protocol: chat.v1", Key, ["chat.v2", "chat.v1"], requireSubProtocol: true);
    }
}
