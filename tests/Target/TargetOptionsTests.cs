using SimCluster.Target;

namespace SimCluster.Tests.Target;

public sealed class TargetOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_loopback()
    {
        var options = new TargetOptions();
        Assert.Empty(options.Validate());
        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(5080, options.Port);
        Assert.Equal("/ws", options.Path);
        Assert.Equal(1 << 20, options.MaxMessageSize);
        Assert.Equal(TimeSpan.FromMinutes(2), options.SessionResumeWindow);
        Assert.Equal(10_000, options.SessionBufferLimit);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    public void Loopback_hosts_are_accepted(string host) =>
        Assert.Empty(new TargetOptions { Host = host }.Validate());

    [Fact]
    public void Non_loopback_host_needs_the_opt_in()
    {
        var error = Assert.Single(new TargetOptions { Host = "0.0.0.0" }.Validate());
        Assert.StartsWith("--host:", error, StringComparison.Ordinal);
        Assert.Empty(new TargetOptions { Host = "0.0.0.0", AllowNonLoopback = true }.Validate());
    }

    [Fact]
    public void Every_error_is_reported_at_once_and_names_its_option()
    {
        var errors = new TargetOptions
        {
            Host = "example.com",
            Port = 70_000,
            Path = "ws",
            HeartbeatInterval = TimeSpan.FromSeconds(-1),
            HeartbeatTimeout = TimeSpan.FromSeconds(1),
            MaxMessageSize = 0,
            EchoDelay = TimeSpan.FromSeconds(-1),
            SessionResumeWindow = TimeSpan.FromSeconds(-1),
            SessionBufferLimit = -1,
            PushRate = double.NaN,
        }.Validate();

        string[] flags =
        [
            "--host:", "--port:", "--path:", "--heartbeat-interval:", "--heartbeat-timeout:", "--max-message-size:",
            "--echo-delay:", "--resume-window:", "--session-buffer-limit:", "--push-rate:",
        ];
        Assert.Equal(flags.Length, errors.Count);
        foreach (var flag in flags)
        {
            Assert.Contains(errors, e => e.StartsWith(flag, StringComparison.Ordinal));
        }

        Assert.Contains("--port: must be 0..65535", errors);
    }

    [Theory]
    [InlineData("/stats")]
    [InlineData("/metrics")]
    [InlineData("/health")]
    [InlineData("/ws?x=1")]
    public void Path_must_not_clash_with_http_endpoints_or_carry_a_query(string path) =>
        Assert.Single(new TargetOptions { Path = path }.Validate(), e => e.StartsWith("--path:", StringComparison.Ordinal));

    [Fact]
    public async Task Start_throws_with_every_validation_error()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ReferenceTarget.StartAsync(new TargetOptions { Port = -1, MaxMessageSize = -5 }));
        Assert.Contains("--port: must be 0..65535", e.Message, StringComparison.Ordinal);
        Assert.Contains("--max-message-size:", e.Message, StringComparison.Ordinal);
    }
}
