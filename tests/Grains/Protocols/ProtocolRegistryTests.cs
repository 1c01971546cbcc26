using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Grains.Protocols.SocketIo;
using SimCluster.Transport;

namespace SimCluster.Tests.Grains.Protocols;

[Trait("Category", "Unit")]
public sealed class ProtocolRegistryTests
{
    private static ProtocolContext Context(MessagePlan? messages = null) =>
        new(3, "s-3", messages ?? new MessagePlan(), new GroupRecorder("g"), TimeProvider.System, new Random(1),
            new JsonPlan { Send = "{\"id\":{seq}}", Correlate = new JsonMatchPlan { Path = "id" } });

    [Fact]
    public void Every_protocol_a_scenario_can_name_has_an_implementation()
    {
        Assert.Equal(Enum.GetValues<ProtocolKind>().Order(), ProtocolRegistry.Kinds.Order());
        foreach (var kind in Enum.GetValues<ProtocolKind>())
        {
            using var protocol = ProtocolRegistry.Create(kind, Context());
            Assert.NotNull(protocol);
        }
    }

    [Theory]
    [InlineData(ProtocolKind.Echo, typeof(EchoProtocol))]
    [InlineData(ProtocolKind.Session, typeof(SessionProtocol))]
    [InlineData(ProtocolKind.None, typeof(EchoProtocol))]
    [InlineData(ProtocolKind.Signalr, typeof(SimCluster.Grains.Protocols.SignalR.SignalRProtocol))]
    [InlineData(ProtocolKind.Json, typeof(JsonProtocol))]
    [InlineData(ProtocolKind.Socketio, typeof(SocketioProtocol))]
    [InlineData(ProtocolKind.GraphqlWs, typeof(GraphqlWsProtocol))]
    public void The_registry_builds_each_protocol_by_kind(ProtocolKind kind, Type type)
    {
        using var protocol = ProtocolRegistry.Create(kind, Context());
        Assert.IsType(type, protocol);
    }

    [Fact]
    public void What_the_seam_says_of_each_protocol()
    {
        var options = new ConnectOptions { Target = new Uri("ws://127.0.0.1:5080/ws") };
        using var echo = ProtocolRegistry.Create(ProtocolKind.Echo, Context());
        Assert.Same(options, echo.PrepareUpgrade(options));
        Assert.True(echo.ReadyOnAttach);
        Assert.False(echo.Resumes);
        Assert.Null(echo.Heartbeat);
        Assert.Null(echo.RefreshFrames);

        using var session = ProtocolRegistry.Create(ProtocolKind.Session, Context());
        Assert.Same(options, session.PrepareUpgrade(options));
        Assert.False(session.ReadyOnAttach);
        Assert.True(session.Resumes);
        Assert.NotNull(session.Heartbeat);
        Assert.NotNull(session.RefreshFrames);
    }

    [Fact]
    public void An_unknown_kind_is_refused_naming_the_known_ones()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolRegistry.Create((ProtocolKind)99, Context()));
        Assert.Contains("session", error.Message);
    }

    [Fact]
    public void Connect_only_sends_nothing_and_counts_nothing()
    {
        var metrics = new GroupRecorder("g");
        using var none = ProtocolRegistry.Create(ProtocolKind.None, new ProtocolContext(1, "s", new MessagePlan { Interval = TimeSpan.Zero }, metrics, TimeProvider.System, new Random(1)));
        var channel = new FakeChannel();
        none.Attach(channel);
        none.Detach();
        none.Finish();
        Assert.Empty(channel.Take());
        Assert.Equal(0, metrics.Read(SimCluster.Abstractions.Metrics.MetricNames.MessagesPlanned));
    }
}
