using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// protocol: json through the seam on fake time, the test playing a server with its own frames
/// ({"op":"add","id":N,..} answered {"re":N,"sum":..}): template fill, correlation by path and by regex,
/// error replies, pushes with sequence gaps, the app-level heartbeat and the refresh frames.
/// </summary>
[Trait("Category", "Unit")]
public sealed class JsonProtocolTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly GroupRecorder _metrics = new("g");
    private readonly FakeChannel _channel = new();
    private IProtocol? _protocol;

    private static readonly JsonPlan AddPlan = new()
    {
        Send = """{"op":"add","id":{seq},"a":{seq},"b":2,"c":{client},"t":{ts},"p":"{body}"}""",
        Correlate = new JsonMatchPlan { Path = "re" },
        Error = new JsonMatchPlan { Path = "error" },
        HeartbeatSend = """{"op":"ping","n":{seq}}""",
        HeartbeatExpect = new JsonMatchPlan { Path = "op", Value = "pong" },
        PushFilter = new JsonMatchPlan { Path = "op", Value = "tick" },
        PushSequence = "data.n",
        RefreshMessage = """{"op":"reauth","jwt":"{token}"}""",
        RefreshExpect = "\"op\":\"reauthed\"",
    };

    private IProtocol Start(JsonPlan plan, int size = 64)
    {
        var messages = new MessagePlan { Interval = TimeSpan.FromSeconds(1), Size = size, LossTimeout = TimeSpan.FromSeconds(2) };
        _protocol = ProtocolRegistry.Create(ProtocolKind.Json, new ProtocolContext(7, "unused", messages, _metrics, _time, new Random(3), plan));
        _protocol.Schedule(_time.GetTimestamp(), _time.GetTimestamp() + 60 * _time.TimestampFrequency);
        _protocol.Attach(_channel);
        return _protocol;
    }

    public void Dispose() => _protocol?.Dispose();

    private long this[string counter] => _metrics.Read(counter);

    private void AssertBooksBalance() => Assert.Equal(this[MetricNames.MessagesSent],
        this[MetricNames.MessagesReceived] + this[MetricNames.MessagesFailed] + this[MetricNames.MessagesLost] + this[MetricNames.MessagesInterrupted] + this[MetricNames.MessagesUnresolved]);

    [Fact]
    public void The_template_is_filled_and_padded_to_the_message_size_as_valid_json()
    {
        Start(AddPlan, size: 120);
        _time.Advance(TimeSpan.FromSeconds(2));
        var sent = _channel.Take();
        Assert.Equal(2, sent.Count);
        foreach (var (text, seq) in sent.Select((t, i) => (t, i + 1L)))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            Assert.Equal(seq, doc.RootElement.GetProperty("id").GetInt64());
            Assert.Equal(seq, doc.RootElement.GetProperty("a").GetInt64());
            Assert.Equal(7, doc.RootElement.GetProperty("c").GetInt32());
            Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), doc.RootElement.GetProperty("t").GetInt64(), 3000d);
            Assert.Equal(120, text.Length);
        }
    }

    [Fact]
    public void A_reply_named_by_path_closes_its_request_and_an_error_reply_is_failed()
    {
        var json = Start(AddPlan);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(3, _channel.Take().Count);
        json.OnText("""{"sum":3,"re":1}""");
        json.OnText("""{"re":2,"error":"overflow"}""");
        json.OnText("""{"re":"3","sum":5}""");                  // a string holding the number names it too
        json.OnText("""{"re":1,"sum":3}""");                    // a second answer: duplicate
        json.OnText("""{"re":99}""");                            // never sent: ignored
        json.OnText("not json at all");
        Assert.Equal(2, this[MetricNames.MessagesReceived]);
        Assert.Equal(1, this[MetricNames.MessagesFailed]);
        Assert.Equal(1, this[MetricNames.MessagesDuplicated]);
        Assert.Equal(0, json.Pending);
        AssertBooksBalance();
    }

    [Fact]
    public void A_reply_named_by_a_regex_capture_closes_its_request()
    {
        var json = Start(AddPlan with { Correlate = new JsonMatchPlan { Regex = "^ANS (\\d+) " }, Error = new JsonMatchPlan { Regex = "ERR$" } });
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, _channel.Take().Count);
        json.OnText("ANS 1 ok");
        json.OnText("ANS 2 ERR");
        Assert.Equal(1, this[MetricNames.MessagesReceived]);
        Assert.Equal(1, this[MetricNames.MessagesFailed]);
        AssertBooksBalance();
    }

    [Fact]
    public void A_correlation_path_that_never_matches_loses_every_request_after_its_timeout()
    {
        var json = Start(AddPlan with { Correlate = new JsonMatchPlan { Path = "nope.id" } });
        _time.Advance(TimeSpan.FromSeconds(5));
        foreach (var text in _channel.Take()) json.OnText(text.Replace("\"op\":\"add\",\"id\"", "\"re\""));
        _time.Advance(TimeSpan.FromSeconds(3));
        json.StopSending();
        var drained = json.DrainAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(drained.IsCompleted);
        json.Finish();
        Assert.Equal(0, this[MetricNames.MessagesReceived]);
        Assert.Equal(this[MetricNames.MessagesSent], this[MetricNames.MessagesLost]);
        Assert.True(this[MetricNames.MessagesSent] >= 8);
        AssertBooksBalance();
    }

    [Fact]
    public void Pushes_are_counted_and_a_gap_in_their_sequence_is_lost()
    {
        var json = Start(AddPlan);
        foreach (var n in (long[])[1, 2, 4, 5, 5, 7]) json.OnText("{\"op\":\"tick\",\"data\":{\"n\":" + n + "}}");
        json.OnText("""{"op":"other"}""");
        json.Finish();
        Assert.Equal(5, this[MetricNames.PushesReceived]);      // the second 5 is a duplicate, not received again
        Assert.Equal(2, this[MetricNames.PushesLost]);          // 3 and 6
        Assert.Equal(1, this[MetricNames.PushesDuplicated]);
        Assert.Equal(0, this[MetricNames.MessagesReceived]);
    }

    [Fact]
    public void The_app_level_ping_is_answered_by_the_expected_pong_with_the_send_time()
    {
        var json = Start(AddPlan);
        var heartbeat = json.Heartbeat!;
        var seen = new List<long>();
        heartbeat.PongSeen += seen.Add;
        heartbeat.SendPing(111);
        heartbeat.SendPing(222);
        Assert.Equal(["""{"op":"ping","n":1}""", """{"op":"ping","n":2}"""], _channel.Take());
        json.OnText("""{"op":"pong"}""");
        json.OnText("""{"op":"pong"}""");
        json.OnText("""{"op":"pong"}""");                       // no ping waiting: nothing
        Assert.Equal([111L, 222L], seen);
        Assert.Null(ProtocolRegistry.Create(ProtocolKind.Json, new ProtocolContext(1, "s", new MessagePlan(), _metrics, _time, new Random(1), AddPlan with { HeartbeatSend = null })).Heartbeat);
    }

    [Fact]
    public void The_refresh_frames_come_from_the_json_block()
    {
        var frames = Start(AddPlan).RefreshFrames!;
        Assert.Equal("""{"op":"reauth","jwt":"t.k.n"}""", frames.Refresh("t.k.n"));
        Assert.Equal(RefreshAnswer.Refreshed, frames.Read("""{"op":"reauthed"}""", waiting: true));
        Assert.Null(frames.Read("""{"op":"reauthed"}""", waiting: false));
    }

    [Theory]
    [InlineData("re", """{"re":5}""", 5L)]
    [InlineData("$.result.id", """{"x":[1,{"a":2}],"result":{"id":42}}""", 42L)]
    [InlineData("items[1].id", """{"items":[{"id":1},{"id":7}]}""", 7L)]
    [InlineData("a\\u0062", """{"ab":3}""", null)]
    [InlineData("re", """{"r\u0065":9}""", 9L)]
    [InlineData("re", """{"re":1.5}""", null)]
    [InlineData("re", """{"re":{"x":1}}""", null)]
    [InlineData("re", """[1,2]""", null)]
    [InlineData("re", """{"re":""", null)]
    public void A_path_reads_the_number_it_points_at(string path, string json, long? expected)
    {
        var found = JsonPath.Parse(path).TryReadLong(System.Text.Encoding.UTF8.GetBytes(json), out var value);
        Assert.Equal(expected is not null, found);
        if (expected is { } e) Assert.Equal(e, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.")]
    [InlineData("a..b")]
    [InlineData("a[x]")]
    [InlineData("a[0]b")]
    public void A_malformed_path_is_refused(string path) => Assert.False(JsonPath.TryParse(path, out _, out _, out _));

    [Fact]
    public void A_template_that_is_not_json_once_filled_says_where()
    {
        Assert.Null(JsonTemplate.Check("""{"id":{seq},"c":"{client}","p":"{body}"}"""));
        var problem = JsonTemplate.Check("{\"id\":{seq},\n \"a\": oops}");
        Assert.NotNull(problem);
        Assert.Contains("line 2, column", problem);
    }
}
