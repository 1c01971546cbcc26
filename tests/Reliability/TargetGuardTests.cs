using SimCluster.Cli.Runs;

namespace SimCluster.Tests.Reliability;

/// <summary>Issue 10: only loopback targets run without an allow-list entry, however the host is spelled.</summary>
[Trait("Category", "Unit")]
public sealed class TargetGuardTests
{
    [Theory]
    [InlineData("ws://127.0.0.1:5080/ws")]
    [InlineData("ws://127.8.9.10/ws")]
    [InlineData("ws://localhost:1/ws")]
    [InlineData("ws://[::1]:1/ws")]
    public void Loopback_targets_need_no_allow_list(string url) => Assert.Empty(TargetGuard.Check([new Uri(url)], []));

    [Theory]
    [InlineData("ws://10.1.2.3/ws")]
    [InlineData("wss://example.com/ws")]
    [InlineData("ws://0.0.0.0:1/ws")]
    [InlineData("ws://localhost.example.com/ws")]
    [InlineData("ws://127.0.0.1.nip.io/ws")]
    [InlineData("ws://[::ffff:10.0.0.1]/ws")]
    public void Anything_else_is_refused_unless_its_host_is_allow_listed(string url)
    {
        var target = new Uri(url);
        var refused = Assert.Single(TargetGuard.Check([target], []));
        Assert.Contains("--allow-target", refused);
        Assert.Empty(TargetGuard.Check([target], [target.Host]));
        Assert.Single(TargetGuard.Check([target], ["other.example.org"]));
    }
}
