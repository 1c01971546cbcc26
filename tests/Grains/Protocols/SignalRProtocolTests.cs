using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Grains.Protocols.SignalR;
using SimCluster.Transport;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// <c>protocol: signalr</c> on fake time, the test playing the hub over fake connections: negotiate and the
/// handshake, invocations closed by completions (errors, duplicates, loss), pushes, pings and serverTimeout, the
/// close message, stateful reconnect (resend after a sequence message, acks, the hub's resends dropped) and the token.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SignalRProtocolTests : IDisposable
{
    private const char Rs = '\u001e';
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly GroupRecorder _metrics = new("g");
    private readonly List<bool> _ready = [];
    private readonly List<ProtocolFailure> _failures = [];
    private readonly List<Uri> _negotiated = [];
    private SignalRProtocol _hub = null!;
    private FakeChannel _channel = new();
    private int _tokens;
    /// <summary>Whether the last negotiate granted stateful reconnect.</summary>
    private bool _stateful;

    private static readonly ConnectOptions Options = new() { Target = new Uri("ws://127.0.0.1:5000/hub"), ConnectTimeout = TimeSpan.FromSeconds(1) };

    private SignalRProtocol Create(SignalrPlan? plan = null, bool grantStateful = true, TimeSpan? interval = null)
    {
        var messages = new MessagePlan { Interval = interval ?? TimeSpan.FromSeconds(1), Size = 64, LossTimeout = TimeSpan.FromSeconds(5) };
        _hub = new SignalRProtocol(3, plan ?? new SignalrPlan { KeepAliveInterval = TimeSpan.FromSeconds(2), ServerTimeout = TimeSpan.FromSeconds(6) }, messages, _metrics, _time, new Random(5),
            (uri, stateful, _, _) =>
            {
                _negotiated.Add(SignalRNegotiation.NegotiateUri(uri, stateful));
                _stateful = grantStateful && stateful;
                return Task.FromResult(new Negotiated($"tok-{++_tokens}", _stateful));
            });
        _hub.Ready += _ready.Add;
        _hub.Failed += _failures.Add;
        _hub.Schedule(_time.GetTimestamp(), _time.GetTimestamp() + 60 * _time.TimestampFrequency);
        return _hub;
    }

    public void Dispose() => _hub?.Dispose();

    private long this[string counter] => _metrics.Read(counter);

    /// <summary>The fake negotiate completes at once.</summary>
    private ConnectOptions Prepare(ConnectOptions options) => _hub.PrepareConnectAsync(options, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Prepares a resume and attaches a fresh channel: the hub keeps its handshake, so none is sent.</summary>
    private ConnectOptions Resume()
    {
        var options = Prepare(Options);
        _channel = new FakeChannel();
        _hub.Attach(_channel);
        return options;
    }

    /// <summary>Prepares an attempt, attaches a fresh channel, checks the handshake request and answers it.</summary>
    private ConnectOptions Connect(string answer = "{}")
    {
        var options = Prepare(Options);
        _channel = new FakeChannel();
        _hub.Attach(_channel);
        // Version 2 once the hub granted stateful reconnect: a hub turns the feature off for a version-1 client.
        var version = _stateful ? 2 : 1;
        Assert.Equal($"{{\"protocol\":\"json\",\"version\":{version}}}" + Rs, Assert.Single(_channel.Take()));
        _hub.OnText(answer + Rs);
        return options;
    }

    private static List<JsonElement> Records(IEnumerable<string> frames) =>
        [.. frames.SelectMany(f => f.Split(Rs, StringSplitOptions.RemoveEmptyEntries)).Select(r => JsonDocument.Parse(r).RootElement.Clone())];

    private List<JsonElement> Sent(int type) => [.. Records(_channel.Take()).Where(r => r.GetProperty("type").GetInt32() == type)];

    private static string Completion(string id, string? error = null) =>
        error is null ? $$"""{"type":3,"invocationId":"{{id}}","result":"x"}""" + Rs : $$"""{"type":3,"invocationId":"{{id}}","error":"{{error}}"}""" + Rs;

    [Fact]
    public void Negotiates_then_opens_the_websocket_with_the_token_and_sends_nothing_before_the_handshake_answer()
    {
        Create();
        var options = Prepare(Options);
        Assert.Equal("http://127.0.0.1:5000/hub/negotiate?negotiateVersion=1&useStatefulReconnect=true", Assert.Single(_negotiated).ToString());
        Assert.Equal("ws://127.0.0.1:5000/hub?id=tok-1", options.Target.ToString());
        _hub.Attach(_channel);
        Assert.Single(_channel.Take()); // the handshake request
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Empty(_channel.Take());
        Assert.Empty(_ready);
        _hub.OnText("{}" + Rs);
        Assert.Equal([false], _ready);
    }

    [Fact]
    public void SkipNegotiation_connects_to_the_hub_url_as_given()
    {
        Create(new SignalrPlan { SkipNegotiation = true, StatefulReconnect = false });
        var options = Prepare(Options);
        Assert.Empty(_negotiated);
        Assert.Equal(Options.Target, options.Target);
        Assert.False(_hub.Resumes);
    }

    [Fact]
    public void A_refused_handshake_is_a_classified_connect_failure_and_nothing_is_sent()
    {
        Create();
        Connect("""{"error":"Requested protocol 'json' is not available."}""");
        var failure = Assert.Single(_failures);
        Assert.Equal("connect:signalr-handshake", failure.Cause);
        Assert.True(failure.Handshake);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(_channel.Take());
        Assert.Empty(_ready);
    }

    [Fact]
    public void A_handshake_never_answered_fails_after_serverTimeout_never_a_hang()
    {
        Create();
        Prepare(Options);
        _hub.Attach(_channel);
        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal("connect:signalr-handshake-timeout", Assert.Single(_failures).Cause);
    }

    [Fact]
    public void Invocations_carry_an_invocation_id_and_completions_close_them_errors_failed_duplicates_counted_silence_lost()
    {
        Create(new SignalrPlan { Method = "Echo", Arguments = """[{"n":{seq},"c":{client}}]""", KeepAliveInterval = TimeSpan.FromSeconds(2), ServerTimeout = TimeSpan.FromSeconds(60) });
        Connect();
        _time.Advance(TimeSpan.FromSeconds(3));
        var invocations = Sent(1);
        Assert.True(invocations.Count >= 2);
        foreach (var i in invocations)
        {
            Assert.Equal("Echo", i.GetProperty("target").GetString());
            Assert.Equal(i.GetProperty("invocationId").GetString(), i.GetProperty("arguments")[0].GetProperty("n").GetInt64().ToString());
            Assert.Equal(3, i.GetProperty("arguments")[0].GetProperty("c").GetInt32());
        }
        var ids = invocations.Select(i => i.GetProperty("invocationId").GetString()!).ToList();
        _hub.OnText(Completion(ids[0]));
        _hub.OnText(Completion(ids[0])); // the hub completed it twice
        _hub.OnText(Completion(ids[1], "Unknown hub method"));
        foreach (var id in ids.Skip(2)) _hub.OnText(Completion(id));
        Assert.Equal(ids.Count, this[MetricNames.MessagesSent]);
        Assert.Equal(ids.Count - 1, this[MetricNames.MessagesReceived]);
        Assert.Equal(1, this[MetricNames.MessagesFailed]);
        Assert.Equal(1, this[MetricNames.MessagesDuplicated]);

        _time.Advance(TimeSpan.FromSeconds(1));
        var unanswered = Sent(1).Count;
        Assert.True(unanswered >= 1);
        _time.Advance(TimeSpan.FromSeconds(5.5)); // their lossTimeout passes on an open connection
        _hub.StopSending();
        _time.Advance(TimeSpan.FromSeconds(6));
        _hub.Finish();
        var sent = this[MetricNames.MessagesSent];
        Assert.Equal(sent, this[MetricNames.MessagesReceived] + this[MetricNames.MessagesFailed] + this[MetricNames.MessagesLost]
            + this[MetricNames.MessagesInterrupted] + this[MetricNames.MessagesUnresolved]);
        Assert.True(this[MetricNames.MessagesLost] >= unanswered);
    }

    [Fact]
    public void Pings_go_at_keepAliveInterval_and_a_hub_silent_for_serverTimeout_loses_the_connection()
    {
        Create(interval: TimeSpan.Zero);
        Connect();
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(2, Sent(6).Count);
        _hub.OnText("{\"type\":6}" + Rs); // the hub's ping keeps it alive
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(_failures);
        _time.Advance(TimeSpan.FromSeconds(1));
        var failure = Assert.Single(_failures);
        Assert.Equal("heartbeat:server-timeout", failure.Cause);
        Assert.True(failure.ServerTimeout);
    }

    [Fact]
    public void An_app_dead_client_stops_pinging_and_invoking()
    {
        Create();
        Connect();
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.NotEmpty(_channel.Take());
        _hub.Abandon();
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(_channel.Take());
        Assert.Empty(_failures); // the dead application notices nothing: the hub must evict it
    }

    [Theory]
    [InlineData("""{"type":7}""", "server:hub-close", false)]
    [InlineData("""{"type":7,"allowReconnect":true}""", "server:hub-close-reconnect", true)]
    [InlineData("""{"type":7,"error":"Server shutting down"}""", "server:hub-close-error", false)]
    [InlineData("""{"type":7,"error":"Connection closed with an error.","allowReconnect":true}""", "server:hub-close-error-reconnect", true)]
    public void The_hub_close_message_is_a_classified_disconnect_that_says_whether_a_reconnect_is_allowed(string close, string cause, bool allowReconnect)
    {
        Create();
        Connect();
        _hub.OnText(close + Rs + """{"type":6}""" + Rs);
        var failure = Assert.Single(_failures); // nothing after the close is read
        Assert.Equal(cause, failure.Cause);
        Assert.True(failure.ClosedByServer);
        Assert.Equal(allowReconnect, failure.AllowReconnect);
        Assert.False(failure.Handshake);
    }

    [Fact]
    public void A_resume_the_hub_refuses_is_tried_once_then_a_new_connection_is_negotiated_and_the_failed_resume_counted()
    {
        Create();
        Connect();
        _hub.Detach(); // a blackholed switch: the hub still holds the old transport
        _time.Advance(TimeSpan.FromMilliseconds(300));
        var resume = Prepare(Options);
        Assert.Equal("ws://127.0.0.1:5000/hub?id=tok-1", resume.Target.ToString());
        // The upgrade is answered 409 (or 404): no channel is ever attached. The next attempt negotiates.
        var next = Prepare(Options);
        Assert.Equal("ws://127.0.0.1:5000/hub?id=tok-2", next.Target.ToString());
        Assert.Equal(1, this[MetricNames.SignalrResumesFailed]);
        Assert.Equal(2, _negotiated.Count);
        // And the attempt after that one too (its WebSocket failed as well): never the refused token again.
        Assert.Equal("ws://127.0.0.1:5000/hub?id=tok-3", Prepare(Options).Target.ToString());
        Assert.Equal(1, this[MetricNames.SignalrResumesFailed]);

        // Once a connection is up, a later drop is resumed again, and a resume that succeeds counts nothing.
        _channel = new FakeChannel();
        _hub.Attach(_channel);
        _hub.OnText("{}" + Rs);
        _hub.Detach();
        Assert.Equal("ws://127.0.0.1:5000/hub?id=tok-3", Resume().Target.ToString());
        Assert.Equal([false, false, true], _ready);
        Assert.Equal(1, this[MetricNames.SignalrResumesFailed]);
    }

    [Fact]
    public void Pushes_are_counted_per_target_with_gaps_and_duplicates_by_the_named_sequence()
    {
        Create(new SignalrPlan { PushTarget = "push", PushSequence = "seq", KeepAliveInterval = TimeSpan.FromSeconds(2), ServerTimeout = TimeSpan.FromSeconds(6), StatefulReconnect = false }, interval: TimeSpan.Zero);
        Connect();
        foreach (var seq in new[] { 1, 2, 4, 4 }) _hub.OnText($$"""{"type":1,"target":"push","arguments":[{"seq":{{seq}},"ts":0}]}""" + Rs);
        _hub.OnText("""{"type":1,"target":"other","arguments":[1]}""" + Rs);
        _hub.Finish();
        Assert.Equal(3, this[MetricNames.PushesReceived]);
        Assert.Equal(1, this[MetricNames.PushesDuplicated]);
        Assert.Equal(1, this[MetricNames.PushesLost]);
    }

    [Fact]
    public void Stateful_reconnect_resumes_with_the_same_token_resends_what_the_hub_did_not_ack_and_drops_the_hubs_resends()
    {
        Create();
        Connect();
        _time.Advance(TimeSpan.FromSeconds(3));
        var first = Sent(1).Select(i => i.GetProperty("invocationId").GetString()!).ToList();
        Assert.Equal(3, first.Count);
        _hub.OnText("""{"type":8,"sequenceId":1}""" + Rs); // the hub has the first invocation
        _hub.OnText(Completion(first[0]));                 // hub message 1
        _time.Advance(TimeSpan.FromSeconds(1));
        var records = Records(_channel.Take());
        Assert.Equal(1, records.Single(r => r.GetProperty("type").GetInt32() == 8).GetProperty("sequenceId").GetInt64()); // our ack of hub message 1
        var during = records.Where(r => r.GetProperty("type").GetInt32() == 1).Select(i => i.GetProperty("invocationId").GetString()!).ToList();
        first.AddRange(during);

        _hub.Detach(); // the interface switches
        Assert.Equal(0, this[MetricNames.MessagesInterrupted]);
        _time.Advance(TimeSpan.FromSeconds(1));
        var options = Resume();
        Assert.Equal("ws://127.0.0.1:5000/hub?id=tok-1", options.Target.ToString());
        Assert.Single(_negotiated);
        Assert.Equal([false, true], _ready);
        var resent = Records(_channel.Take());
        Assert.Equal(9, resent[0].GetProperty("type").GetInt32());
        Assert.Equal(2, resent[0].GetProperty("sequenceId").GetInt64());
        Assert.Equal(first.Skip(1), resent.Skip(1).Where(r => r.GetProperty("type").GetInt32() == 1).Select(r => r.GetProperty("invocationId").GetString()!));

        // The hub resends from its message 1 (already had: dropped), then completes the rest.
        _hub.OnText("""{"type":9,"sequenceId":1}""" + Rs);
        _hub.OnText(Completion(first[0]));
        foreach (var id in first.Skip(1)) _hub.OnText(Completion(id));
        Assert.Equal(first.Count, this[MetricNames.MessagesReceived]);
        Assert.Equal(0, this[MetricNames.MessagesDuplicated]);
        Assert.Equal(0, this[MetricNames.MessagesLost]);
    }

    [Fact]
    public void A_reconnect_long_after_the_drop_negotiates_a_new_connection_and_what_was_in_flight_is_lost()
    {
        Create();
        Connect();
        _time.Advance(TimeSpan.FromSeconds(2));
        var inFlight = Sent(1).Count;
        _hub.Detach();
        _time.Advance(TimeSpan.FromSeconds(7)); // past serverTimeout: the hub has let the connection go
        var options = Connect();
        Assert.Equal("ws://127.0.0.1:5000/hub?id=tok-2", options.Target.ToString());
        Assert.Equal([false, false], _ready);
        Assert.DoesNotContain(Records(_channel.Take()), r => r.GetProperty("type").GetInt32() == 9);
        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(this[MetricNames.MessagesLost] >= inFlight);
    }

    [Fact]
    public void Without_stateful_reconnect_granted_a_reconnect_negotiates_anew()
    {
        Create(grantStateful: false);
        Connect();
        _hub.Detach();
        var options = Connect();
        Assert.Equal("ws://127.0.0.1:5000/hub?id=tok-2", options.Target.ToString());
        Assert.Equal(2, _negotiated.Count);
    }

    [Fact]
    public void The_token_rides_in_the_access_token_query_of_negotiate_and_the_websocket()
    {
        Create();
        var carried = ((IProtocol)_hub).Tokens!.Carry(Options, "a.b+c");
        var options = Prepare(carried);
        Assert.Equal("ws://127.0.0.1:5000/hub?access_token=a.b%2Bc&id=tok-1", options.Target.ToString());
        Assert.Contains("access_token=a.b%2Bc", _negotiated.Single().Query);
        Assert.True(((IProtocol)_hub).ExpiryCloseHasNoCode);
    }

    [Fact]
    public void A_garbled_record_is_counted_and_the_connection_kept()
    {
        Create();
        Connect();
        _hub.OnText("not json" + Rs + "{\"type\":6}" + Rs);
        Assert.Equal(1, this[MetricNames.SignalrProtocolErrors]);
        Assert.Empty(_failures);
    }

    [Theory]
    [InlineData("""{"error":"nope"}""")]
    [InlineData("""{"url":"http://elsewhere/","accessToken":"x"}""")]
    [InlineData("""{"connectionId":"a","availableTransports":[{"transport":"LongPolling","transferFormats":["Text"]}]}""")]
    [InlineData("""not json""")]
    public void A_negotiate_answer_without_a_usable_websocket_connection_fails_the_attempt(string answer)
    {
        var error = Assert.Throws<ConnectFailedException>(() => SignalRNegotiation.Read(answer));
        Assert.Equal("bad-response", error.Label);
    }

    [Fact]
    public void A_negotiate_answer_gives_the_token_and_the_stateful_grant()
    {
        var n = SignalRNegotiation.Read("""{"negotiateVersion":1,"connectionId":"c","connectionToken":"t","useStatefulReconnect":true,"availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}""");
        Assert.Equal(new Negotiated("t", true), n);
    }
}
