using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;
using SimCluster.Grains.Metrics;

namespace SimCluster.Tests.Grains.Auth;

[Trait("Category", "Unit")]
public sealed class TemplateRefreshFramesTests
{
    private static readonly AuthPlan Plan = new() { RefreshMessage = """{"op":"reauth","jwt":"{token}"}""", RefreshedWhen = "\"op\":\"reauthed\"", RejectedWhen = "\"op\":\"denied\"" };

    [Fact]
    public void The_token_goes_where_the_template_says()
    {
        Assert.Equal("""{"op":"reauth","jwt":"t.k.n"}""", new TemplateRefreshFrames(Plan).Refresh("t.k.n"));
    }

    [Fact]
    public void Answers_are_recognised_only_while_a_refresh_waits()
    {
        var frames = new TemplateRefreshFrames(Plan);
        Assert.Equal(RefreshAnswer.Refreshed, frames.Read("""{"op":"reauthed"}""", waiting: true));
        Assert.Equal(RefreshAnswer.Rejected, frames.Read("""{"op":"denied"}""", waiting: true));
        Assert.Null(frames.Read("""{"op":"reauthed"}""", waiting: false));
        Assert.Null(frames.Read("""{"op":"other"}""", waiting: true));
    }

    private sealed class NoTokens : ITokenSource
    {
        public Task<IssuedToken> IssueAsync(int clientIndex, CancellationToken ct) => throw new TokenUnavailableException("none", "no tokens in this test");
    }

    [Fact]
    public void An_in_band_refresh_without_frames_is_refused_and_the_template_stands_in_for_a_protocol_without_them()
    {
        var metrics = new GroupRecorder("g");
        Assert.Throws<ArgumentException>(() => new TokenSession(new AuthPlan(), new NoTokens(), RefreshModes.Create(RefreshMode.InBand), null, null, 0, metrics, TimeProvider.System, _ => { }));

        using var session = new TokenSession(Plan, new NoTokens(), RefreshModes.Create(RefreshMode.InBand), null, null, 0, metrics, TimeProvider.System, _ => { });
        Assert.False(session.OnText("""{"op":"reauthed"}""")); // no refresh waits: an ordinary message
    }
}
