using System.Net;
using System.Net.Sockets;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

/// <summary>The egress rule on its own (the namespace tests in tests/Hostile check it end to end).</summary>
[Trait("Category", "Unit")]
public sealed class EgressRuleTests
{
    [Theory]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST.", true)]
    [InlineData("api.localhost", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.9.8.7", true)]
    [InlineData("[::1]", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("localhost.example.com", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("0.0.0.0", false)]
    public void A_host_is_loopback_by_name_only_when_written_as_loopback(string host, bool loopback) =>
        Assert.Equal(loopback, EgressRule.IsLoopbackName(host));

    [Fact]
    public void A_loopback_name_may_only_reach_loopback_even_when_allow_listed()
    {
        var rule = EgressRule.Allowing(["localhost", "example.com", "10.0.0.2"]);
        Assert.True(rule.Allows("localhost", IPAddress.Loopback));
        Assert.True(rule.Allows("localhost", IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(rule.Allows("localhost", IPAddress.Parse("10.0.0.1")));
        Assert.True(rule.Allows("example.com", IPAddress.Parse("10.0.0.1"))); // allow-listed by name
        Assert.True(rule.Allows("other.example", IPAddress.Parse("10.0.0.2"))); // allow-listed by address
        Assert.False(rule.Allows("other.example", IPAddress.Parse("10.0.0.3")));
        Assert.False(EgressRule.LoopbackOnly.Allows("example.com", IPAddress.Parse("10.0.0.1")));
        Assert.False(EgressRule.For(new Uri("ws://localhost:1/ws")).Allows("localhost", IPAddress.Parse("10.0.0.1")));
        Assert.True(EgressRule.For(new Uri("wss://example.com/ws")).Allows("example.com", IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public async Task A_refused_address_is_never_connected_to()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<EgressRefusedException>(() => Egress.ConnectAsync(socket, "10.0.0.1", 80, EgressRule.LoopbackOnly, CancellationToken.None));
        Assert.Contains("10.0.0.1", refused.Message);
        Assert.False(socket.Connected);
        Assert.Null(socket.RemoteEndPoint);
    }
}
