using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Reconnect;

namespace SimCluster.Tests.Grains;

[Trait("Category", "Unit")]
public sealed class ReconnectPolicyTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Immediate_retries_at_once_until_max_attempts()
    {
        var unlimited = new ImmediateReconnect(maxAttempts: 0);
        foreach (var attempt in new[] { 1, 2, 10, 1000 }) Assert.Equal(TimeSpan.Zero, unlimited.DelayBefore(attempt, new Random(1)));

        var limited = new ImmediateReconnect(maxAttempts: 3);
        Assert.Equal(TimeSpan.Zero, limited.DelayBefore(3, new Random(1)));
        Assert.Null(limited.DelayBefore(4, new Random(1)));
        Assert.Equal("immediate", limited.Name);
    }

    [Fact]
    public void Fixed_waits_the_same_base_every_time_without_jitter()
    {
        var policy = new FixedReconnect(Ms(750), JitterKind.None, maxAttempts: 0);
        foreach (var attempt in new[] { 1, 2, 5, 50 }) Assert.Equal(Ms(750), policy.DelayBefore(attempt, new Random(1)));
        Assert.Equal("fixed", policy.Name);
    }

    [Fact]
    public void Fixed_gives_up_after_max_attempts()
    {
        var policy = new FixedReconnect(Ms(100), JitterKind.Full, maxAttempts: 2);
        Assert.NotNull(policy.DelayBefore(1, new Random(1)));
        Assert.NotNull(policy.DelayBefore(2, new Random(1)));
        Assert.Null(policy.DelayBefore(3, new Random(1)));
        Assert.Null(policy.DelayBefore(100, new Random(1)));
    }

    [Fact]
    public void Exponential_doubles_from_base_and_stops_at_max()
    {
        var policy = new ExponentialReconnect(Ms(100), TimeSpan.FromSeconds(30), JitterKind.None, maxAttempts: 0);
        var random = new Random(1);

        Assert.Equal(Ms(100), policy.DelayBefore(1, random));
        Assert.Equal(Ms(200), policy.DelayBefore(2, random));
        Assert.Equal(Ms(400), policy.DelayBefore(3, random));
        Assert.Equal(Ms(800), policy.DelayBefore(4, random));
        Assert.Equal(Ms(25_600), policy.DelayBefore(9, random));
        Assert.Equal(TimeSpan.FromSeconds(30), policy.DelayBefore(10, random)); // 51.2 s capped
        Assert.Equal(TimeSpan.FromSeconds(30), policy.DelayBefore(64, random));
        Assert.Equal(TimeSpan.FromSeconds(30), policy.DelayBefore(int.MaxValue, random)); // no overflow
        Assert.Equal("exponential", policy.Name);
    }

    [Fact]
    public void Exponential_with_a_huge_base_never_overflows_past_max()
    {
        var policy = new ExponentialReconnect(TimeSpan.FromDays(1), TimeSpan.FromMinutes(5), JitterKind.None, maxAttempts: 0);
        for (var attempt = 1; attempt < 100; attempt++) Assert.Equal(TimeSpan.FromMinutes(5), policy.DelayBefore(attempt, new Random(1)));
    }

    [Fact]
    public void Exponential_gives_up_after_max_attempts()
    {
        var policy = new ExponentialReconnect(Ms(100), TimeSpan.FromSeconds(30), JitterKind.Equal, maxAttempts: 5);
        Assert.NotNull(policy.DelayBefore(5, new Random(1)));
        Assert.Null(policy.DelayBefore(6, new Random(1)));
    }

    [Theory]
    [InlineData(1, 100.0)]
    [InlineData(3, 400.0)]
    [InlineData(12, 2000.0)] // capped before the jitter is applied
    public void Full_jitter_draws_from_zero_to_the_delay(int attempt, double ceilingMs)
    {
        var policy = new ExponentialReconnect(Ms(100), TimeSpan.FromSeconds(2), JitterKind.Full, maxAttempts: 0);
        var random = new Random(42);
        var draws = Enumerable.Range(0, 2000).Select(_ => policy.DelayBefore(attempt, random)!.Value).ToList();

        Assert.All(draws, d => Assert.InRange(d, TimeSpan.Zero, Ms(ceilingMs)));
        Assert.True(draws.Min() < Ms(ceilingMs * 0.05), $"full jitter should reach near 0, min {draws.Min()}");
        Assert.True(draws.Max() > Ms(ceilingMs * 0.95), $"full jitter should reach near the delay, max {draws.Max()}");
    }

    [Theory]
    [InlineData(1, 100.0)]
    [InlineData(4, 800.0)]
    [InlineData(30, 2000.0)]
    public void Equal_jitter_draws_from_half_the_delay_to_the_delay(int attempt, double ceilingMs)
    {
        var policy = new ExponentialReconnect(Ms(100), TimeSpan.FromSeconds(2), JitterKind.Equal, maxAttempts: 0);
        var random = new Random(42);
        var draws = Enumerable.Range(0, 2000).Select(_ => policy.DelayBefore(attempt, random)!.Value).ToList();

        Assert.All(draws, d => Assert.InRange(d, Ms(ceilingMs / 2), Ms(ceilingMs)));
        Assert.True(draws.Min() < Ms(ceilingMs * 0.55));
        Assert.True(draws.Max() > Ms(ceilingMs * 0.95));
    }

    [Theory]
    [InlineData(JitterKind.Full, 0.0)]
    [InlineData(JitterKind.Equal, 0.5)]
    [InlineData(JitterKind.None, 1.0)]
    public void Fixed_applies_jitter_to_its_base(JitterKind jitter, double lowestShare)
    {
        var policy = new FixedReconnect(TimeSpan.FromSeconds(1), jitter, maxAttempts: 0);
        var random = new Random(3);
        foreach (var _ in Enumerable.Range(0, 500))
        {
            Assert.InRange(policy.DelayBefore(1, random)!.Value, TimeSpan.FromSeconds(lowestShare), TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_delays_and_another_seed_other_delays()
    {
        var policy = new ExponentialReconnect(Ms(100), TimeSpan.FromSeconds(30), JitterKind.Full, maxAttempts: 0);
        List<TimeSpan> Delays(int seed)
        {
            var random = new Random(seed);
            return [.. Enumerable.Range(1, 20).Select(a => policy.DelayBefore(a, random)!.Value)];
        }

        Assert.Equal(Delays(7), Delays(7));
        Assert.NotEqual(Delays(7), Delays(8));
    }

    [Theory]
    [InlineData("none", JitterKind.None)]
    [InlineData("equal", JitterKind.Equal)]
    [InlineData("full", JitterKind.Full)]
    public void Jitter_names_parse(string name, JitterKind expected) => Assert.Equal(expected, Spelling.Parse<JitterKind>(name));

    [Fact]
    public void An_unknown_jitter_name_throws() =>
        Assert.Contains("decorrelated", Assert.Throws<ArgumentException>(() => Spelling.Parse<JitterKind>("decorrelated")).Message);

    [Theory]
    [InlineData("immediate", typeof(ImmediateReconnect))]
    [InlineData("fixed", typeof(FixedReconnect))]
    [InlineData("exponential", typeof(ExponentialReconnect))]
    public void The_registry_builds_each_policy_by_name(string name, Type type)
    {
        var policy = ReconnectPolicyRegistry.Create(new ReconnectPlan { Policy = name, Base = Ms(100), Max = TimeSpan.FromSeconds(1), Jitter = JitterKind.None, MaxAttempts = 2 });
        Assert.IsType(type, policy);
        Assert.Equal(name, policy.Name);
        Assert.Null(policy.DelayBefore(3, new Random(1))); // maxAttempts travels with the plan
        Assert.Contains(name, ReconnectPolicyRegistry.Names);
    }

    [Fact]
    public void The_registry_passes_base_max_and_jitter_on()
    {
        var policy = ReconnectPolicyRegistry.Create(new ReconnectPlan { Policy = "exponential", Base = Ms(50), Max = Ms(300), Jitter = JitterKind.None });
        Assert.Equal(Ms(50), policy.DelayBefore(1, new Random(1)));
        Assert.Equal(Ms(300), policy.DelayBefore(5, new Random(1)));
    }

    [Fact]
    public void The_registry_refuses_an_unknown_policy_and_names_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => ReconnectPolicyRegistry.Create(new ReconnectPlan { Policy = "linear" }));
        Assert.Contains("linear", error.Message);
        Assert.Contains("exponential", error.Message);
    }

    [Fact]
    public void The_registry_refuses_an_unknown_jitter() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ReconnectPolicyRegistry.Create(new ReconnectPlan { Policy = "fixed", Jitter = (JitterKind)99 }));
}
