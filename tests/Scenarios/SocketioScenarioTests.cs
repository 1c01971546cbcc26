using SimCluster.Scenarios;
using SimCluster.Tests.Support;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

/// <summary>The socketio block: every key read into the scenario, each mistake reported where it is; the own-server scenarios load.</summary>
[Trait("Category", "Unit")]
public sealed class SocketioScenarioTests
{
    private const string Head = """
        name: t
        target: ws://127.0.0.1:3000
        clients: 10
        duration: 10s
        protocol: socketio
        """;

    [Fact]
    public void Every_key_of_the_block_is_read()
    {
        var s = Valid(Head + "\n" + """
            socketio:
              namespace: /chat
              path: /io/
              event: chat:send
              args: '["room-{client}", {"n": {seq}, "text": "{body}"}]'
              ack: false
              push: { event: [tick, news], sequence: seq }
              recovery: true
            """).Socketio;
        Assert.Equal(("/chat", "/io/", "chat:send", false, "seq", true), (s.Namespace, s.Path, s.Event, s.Ack, s.PushSequence, s.Recovery));
        Assert.Equal("""["room-{client}", {"n": {seq}, "text": "{body}"}]""", s.Args);
        Assert.Equal(["tick", "news"], s.PushEvents);

        var defaults = Valid(Head + "\nsocketio: { push: { event: tick, sequence: seq } }\n").Socketio;
        Assert.Equal((true, (string?)null), (defaults.Ack, defaults.Args));
        Assert.Equal(["tick"], defaults.PushEvents);
    }

    [Theory]
    [InlineData("socketio: { args: '[{\"n\": {seq}' }", 6, 19, "socketio.args", "is not valid JSON once")]
    [InlineData("socketio: { args: '{\"n\": 1}' }", 6, 19, "socketio.args", "is no JSON array: the event's arguments come after its name in one array")]
    [InlineData("socketio: { ack: sometimes }", 6, 18, "socketio.ack", "sometimes")]
    [InlineData("socketio: { push: { event: [tick, tick], sequence: seq } }", 6, 35, "socketio.push.event[1]", "'tick' is named twice")]
    [InlineData("socketio: { push: { event: [], sequence: seq } }", 6, 28, "socketio.push.event", "name at least one event")]
    [InlineData("socketio: { push: { event: [tick, 'a b'], sequence: seq } }", 6, 35, "socketio.push.event[1]", "expected an event name of 1 to 100 letters")]
    [InlineData("socketio: { push: { event: tick } }", 6, 19, "socketio.push.sequence", "sequence")]
    [InlineData("socketio: { acks: true }", 6, 13, "socketio.acks", "ack")]
    public void A_mistake_in_the_block_is_reported_where_it_is(string line, int row, int column, string key, string part)
    {
        var e = SingleError(Head + "\n" + line + "\n");
        Assert.Equal((Source, row, column, key), (e.Source, e.Line, e.Column, e.Key));
        Assert.Contains(part, e.Message);
    }

    [Fact]
    public void Every_own_server_scenario_loads()
    {
        var files = Directory.GetFiles(Path.Combine(Simcluster.RepoRoot, "scenarios", "own-server"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.Contains(files, f => Path.GetFileName(f) == "socketio.yaml");
        foreach (var file in files)
        {
            var result = ScenarioLoader.LoadFile(file);
            Assert.True(result.Ok, file + ": " + string.Join("\n", result.Errors));
        }
    }
}
