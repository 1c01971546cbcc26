using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Transport;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// graphql-transport-ws through the seam on fake time, the test playing the server over fake connections: the
/// message codec, init/ack, the subscription's books (next, error, complete), ping/pong both ways, resubscription on
/// reconnect and the close codes' labels.
/// </summary>
[Trait("Category", "Unit")]
public sealed class GraphqlWsProtocolTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly GroupRecorder _metrics = new("g");
    private readonly List<bool> _ready = [];
    private IProtocol _protocol;
    private FakeChannel _channel = new();

    private static readonly GraphqlWsPlan Plan = new()
    {
        Query = "subscription Ticks($every: Int) { ticks(every: $every) { seq } }",
        Variables = """{"every":50}""",
        OperationName = "Ticks",
        SequencePath = ["data", "ticks", "seq"],
    };

    public GraphqlWsProtocolTests() => _protocol = Create(Plan);

    private IProtocol Create(GraphqlWsPlan plan)
    {
        var protocol = ProtocolRegistry.Create(ProtocolKind.GraphqlWs, new ProtocolContext(3, "unused", new MessagePlan { Interval = TimeSpan.Zero }, _metrics, _time, new Random(1), GraphqlWs: plan));
        protocol.Ready += _ready.Add;
        return protocol;
    }

    public void Dispose() => _protocol.Dispose();

    private long this[string counter] => _metrics.Read(counter);

    private static JsonElement Parse(string frame) => JsonDocument.Parse(frame).RootElement;

    /// <summary>Attaches a new connection, checks its connection_init, acks it and returns the subscribe message.</summary>
    private JsonElement Connect()
    {
        _channel = new FakeChannel();
        _protocol.Attach(_channel);
        var init = Parse(Assert.Single(_channel.Take()));
        Assert.Equal("connection_init", init.GetProperty("type").GetString());
        _time.Advance(TimeSpan.FromMilliseconds(20));
        _protocol.OnText("""{"type":"connection_ack"}""");
        return Parse(Assert.Single(_channel.Take()));
    }

    private void Next(string id, long seq) =>
        _protocol.OnText("{\"id\":\"" + id + "\",\"type\":\"next\",\"payload\":{\"data\":{\"ticks\":{\"seq\":" + seq + "}}}}");

    [Fact]
    public void The_upgrade_offers_the_subprotocol_and_the_handshake_waits_for_the_ack()
    {
        var options = _protocol.PrepareUpgrade(new ConnectOptions { Target = new Uri("ws://127.0.0.1/graphql") });
        Assert.Equal(["graphql-transport-ws"], options.SubProtocols);
        Assert.Same(options, _protocol.PrepareUpgrade(options)); // offered once
        Assert.False(_protocol.ReadyOnAttach);
        Assert.False(_protocol.Resumes);
        Assert.NotNull(_protocol.Heartbeat);
        Assert.Null(_protocol.RefreshFrames);
        Assert.NotNull(_protocol.Tokens);

        _protocol.Attach(_channel);
        Assert.Equal("""{"type":"connection_init"}""", Assert.Single(_channel.Take()));
        Assert.Empty(_ready);
        _time.Advance(TimeSpan.FromMilliseconds(35));
        _protocol.OnText("""{"type":"connection_ack"}""");
        Assert.Equal([false], _ready);
        Assert.Equal(1, this[MetricNames.GraphqlAcks]);
        var subscribe = Parse(Assert.Single(_channel.Take()));
        Assert.Equal("subscribe", subscribe.GetProperty("type").GetString());
        Assert.Equal("1", subscribe.GetProperty("id").GetString());
        var payload = subscribe.GetProperty("payload");
        Assert.Equal(Plan.Query, payload.GetProperty("query").GetString());
        Assert.Equal("Ticks", payload.GetProperty("operationName").GetString());
        Assert.Equal(50, payload.GetProperty("variables").GetProperty("every").GetInt32());
        Assert.Equal(1, this[MetricNames.GraphqlSubscribes]);

        _protocol.OnText("""{"type":"connection_ack"}"""); // a second ack subscribes nothing more
        Assert.Empty(_channel.Take());
    }

    [Fact]
    public void The_token_rides_in_the_init_payload_and_the_upgrade_is_unchanged()
    {
        var options = new ConnectOptions { Target = new Uri("ws://127.0.0.1/graphql") };
        Assert.Same(options, _protocol.Tokens!.Carry(options, "tok\"en"));
        _protocol.Attach(_channel);
        var init = Parse(Assert.Single(_channel.Take()));
        Assert.Equal("tok\"en", init.GetProperty("payload").GetProperty("token").GetString());

        using var custom = Create(Plan with { TokenField = "authorization" });
        custom.Tokens!.Carry(options, "t2");
        var channel = new FakeChannel();
        custom.Attach(channel);
        Assert.Equal("t2", Parse(Assert.Single(channel.Take())).GetProperty("payload").GetProperty("authorization").GetString());
    }

    [Fact]
    public void Without_init_nothing_is_sent_and_no_ack_is_awaited_by_the_books()
    {
        _protocol.Dispose();
        _protocol = Create(Plan with { SendInit = false });
        _protocol.Attach(_channel);
        Assert.Empty(_channel.Take());
        _protocol.Detach(); // the server closes 4408 after its init timeout
        _protocol.Finish();
        Assert.Equal(0, this[MetricNames.GraphqlAcks]);
        Assert.Equal(0, this[MetricNames.PushesLost]);
    }

    [Fact]
    public void Every_next_is_a_push_and_a_gap_in_the_sequence_is_lost()
    {
        var id = Connect().GetProperty("id").GetString()!;
        foreach (var seq in new long[] { 1, 2, 4, 5, 7 }) Next(id, seq);
        Next(id, 5); // a repeat
        Assert.Equal(5, this[MetricNames.PushesReceived]);
        Assert.Equal(1, this[MetricNames.PushesDuplicated]);
        _protocol.OnText($$"""{"id":"{{id}}","type":"complete"}""");
        Assert.Equal(1, this[MetricNames.GraphqlCompletes]);
        Next(id, 8); // after complete: not a running subscription
        Assert.Equal(1, this[MetricNames.GraphqlProtocolErrors]);
        _protocol.Finish();
        Assert.Equal(2, this[MetricNames.PushesLost]); // 3 and 6
    }

    [Fact]
    public void A_reconnect_subscribes_again_and_what_the_old_stream_missed_is_lost()
    {
        var first = Connect().GetProperty("id").GetString()!;
        Next(first, 1);
        Next(first, 3);
        _protocol.Detach();
        Assert.Equal(1, this[MetricNames.PushesLost]);
        var second = Connect().GetProperty("id").GetString()!;
        Assert.NotEqual(first, second);
        Next(first, 4); // the old id is over
        Assert.Equal(1, this[MetricNames.GraphqlProtocolErrors]);
        Next(second, 1);
        Next(second, 2);
        _protocol.Finish();
        Assert.Equal(4, this[MetricNames.PushesReceived]);
        Assert.Equal(1, this[MetricNames.PushesLost]);
        Assert.Equal(2, this[MetricNames.GraphqlAcks]);
        Assert.Equal(2, this[MetricNames.GraphqlSubscribes]);
    }

    [Fact]
    public void A_rejected_operation_is_an_error_and_garbage_is_counted_not_fatal()
    {
        var id = Connect().GetProperty("id").GetString()!;
        _protocol.OnText($$"""{"id":"{{id}}","type":"error","payload":[{"message":"Cannot query field \"nope\" on type \"Subscription\"."}]}""");
        Assert.Equal(1, this[MetricNames.GraphqlErrors]);
        _protocol.OnText("not json");
        _protocol.OnText("""{"type":42}""");
        _protocol.OnText("""{"type":"mystery"}""");
        _protocol.OnText("""{"id":"9","type":"complete"}""");
        Assert.Equal(4, this[MetricNames.GraphqlProtocolErrors]);
        Assert.Equal(0, this[MetricNames.GraphqlCompletes]);
    }

    [Fact]
    public void A_next_without_a_number_at_the_sequence_path_is_a_protocol_error()
    {
        var id = Connect().GetProperty("id").GetString()!;
        _protocol.OnText("{\"id\":\"" + id + "\",\"type\":\"next\",\"payload\":{\"data\":{\"ticks\":{\"seq\":\"one\"}}}}");
        _protocol.OnText($$$"""{"id":"{{{id}}}","type":"next","payload":{"data":null}}""");
        Assert.Equal(2, this[MetricNames.GraphqlProtocolErrors]);
        Assert.Equal(0, this[MetricNames.PushesReceived]);
    }

    [Fact]
    public void Without_a_sequence_path_pushes_are_only_counted()
    {
        _protocol.Dispose();
        _protocol = Create(Plan with { SequencePath = [] });
        var id = Connect().GetProperty("id").GetString()!;
        Next(id, 1);
        Next(id, 1);
        Assert.Equal(2, this[MetricNames.PushesReceived]);
        Assert.Equal(0, this[MetricNames.PushesDuplicated]);
    }

    [Fact]
    public void Server_pings_are_answered_and_client_pings_are_timed_by_their_pong()
    {
        Connect();
        _protocol.OnText("""{"type":"ping"}""");
        Assert.Equal("""{"type":"pong"}""", Assert.Single(_channel.Take()));
        var seen = new List<long>();
        _protocol.Heartbeat!.PongSeen += seen.Add;
        _protocol.Heartbeat.SendPing(1234);
        var ping = Parse(Assert.Single(_channel.Take()));
        Assert.Equal("ping", ping.GetProperty("type").GetString());
        _protocol.OnText($$"""{"type":"pong","payload":{{ping.GetProperty("payload").GetRawText()}}}""");
        Assert.Equal([1234L], seen);
        _protocol.OnText("""{"type":"pong"}"""); // an unsolicited pong (a server keep-alive) times nothing
        Assert.Equal([1234L], seen);
    }

    [Theory]
    [InlineData(4400, "server:close-4400-bad-request")]
    [InlineData(4401, "server:close-4401-unauthorized")]
    [InlineData(4403, "server:close-4403-forbidden")]
    [InlineData(4406, "server:close-4406-subprotocol-not-acceptable")]
    [InlineData(4408, "server:close-4408-init-timeout")]
    [InlineData(4409, "server:close-4409-subscriber-exists")]
    [InlineData(4429, "server:close-4429-too-many-init-requests")]
    [InlineData(4500, "server:close-4500-internal-error")]
    [InlineData(1001, "server:close-1001")]
    public void The_protocols_close_codes_are_named_in_the_disconnect_cause(int code, string cause)
    {
        Assert.Equal(cause, ClientRuntime.CauseOf(new ConnectionClosed(CloseInitiator.Server, code, "x", null), GraphqlWsCloseCodes.Name));
        Assert.Equal($"server:close-{code}", ClientRuntime.CauseOf(new ConnectionClosed(CloseInitiator.Server, code, "x", null)));
    }

    [Theory]
    [InlineData(4400, GraphqlWsCloseKind.ClientError)]
    [InlineData(4401, GraphqlWsCloseKind.ClientError)]
    [InlineData(4403, GraphqlWsCloseKind.AuthRejection)]
    [InlineData(4406, GraphqlWsCloseKind.SubprotocolRefused)]
    [InlineData(4408, GraphqlWsCloseKind.InitTimeout)]
    [InlineData(4409, GraphqlWsCloseKind.ClientError)]
    [InlineData(4429, GraphqlWsCloseKind.ClientError)]
    [InlineData(4500, GraphqlWsCloseKind.ServerError)]
    [InlineData(4000, GraphqlWsCloseKind.Other)]
    [InlineData(1000, GraphqlWsCloseKind.Other)]
    [InlineData(null, GraphqlWsCloseKind.Other)]
    public void Each_close_code_of_the_protocol_has_a_kind_and_only_4403_is_an_auth_rejection(int? code, GraphqlWsCloseKind kind)
    {
        Assert.Equal(kind, GraphqlWsCloseCodes.Kind(code));
        Assert.Equal(code == 4403, GraphqlWsCloseCodes.IsAuthRejection(code));
        Assert.Equal(kind != GraphqlWsCloseKind.Other, GraphqlWsCloseCodes.Name(code) is not null);
    }

    [Fact]
    public void Every_code_the_protocol_defines_is_named_and_classified()
    {
        Assert.Equal([4400, 4401, 4403, 4406, 4408, 4409, 4429, 4500], GraphqlWsCloseCodes.All.Keys.Order());
        Assert.All(GraphqlWsCloseCodes.All.Keys, c => Assert.NotEqual(GraphqlWsCloseKind.Other, GraphqlWsCloseCodes.Kind(c)));
        Assert.Equal(GraphqlWsCloseCodes.All.Count, GraphqlWsCloseCodes.All.Values.Distinct().Count());
    }

    [Fact]
    public void A_connection_the_server_closes_before_its_ack_has_nothing_in_flight_and_resubscribes_once_acked()
    {
        // The server's 4403/4408 arrives before any ack: nothing was subscribed, nothing is lost, and the next
        // connection inits afresh (on fake time: the init timeout is the server's, the client only waits).
        _protocol.Attach(_channel);
        Assert.Equal("connection_init", Parse(Assert.Single(_channel.Take())).GetProperty("type").GetString());
        _time.Advance(TimeSpan.FromSeconds(3));
        _protocol.Detach();
        Assert.Equal((0L, 0L, 0L), (this[MetricNames.GraphqlAcks], this[MetricNames.GraphqlSubscribes], this[MetricNames.PushesLost]));
        Assert.Empty(_ready);
        var id = Connect().GetProperty("id").GetString()!;
        Next(id, 1);
        _protocol.Finish();
        Assert.Equal((1L, 1L, 1L, 0L), (this[MetricNames.GraphqlAcks], this[MetricNames.GraphqlSubscribes], this[MetricNames.PushesReceived], this[MetricNames.PushesLost]));
    }
}
