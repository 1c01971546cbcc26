using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios;

namespace SimCluster.Tests.Scenarios;

[Trait("Category", "Unit")]
public class UnitsAndRangeTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("250ms", 250)]
    [InlineData("2s", 2_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    [InlineData(" 5s ", 5_000)]
    public void Durations_parse(string text, double ms)
    {
        Assert.True(Units.TryParseDuration(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("s")]
    [InlineData("")]
    [InlineData("1s 2s")]
    public void Bad_durations_are_refused(string text) =>
        Assert.False(Units.TryParseDuration(text, out _, out _));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(250, "250ms")]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h")]
    [InlineData(1_500, "1s500ms")]
    public void Durations_format_so_they_read_back(double ms, string text)
    {
        Assert.Equal(text, Units.FormatDuration(TimeSpan.FromMilliseconds(ms)));
        Assert.True(Units.TryParseDuration(text, out var back, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), back);
    }

    [Theory]
    [InlineData("30Mbps", 30_000_000)]
    [InlineData("256kbps", 256_000)]
    [InlineData("1.5Mbps", 1_500_000)]
    [InlineData("800bps", 800)]
    [InlineData("1Gbps", 1_000_000_000)]
    public void Bandwidths_are_bits_per_second(string text, long bps)
    {
        Assert.True(Units.TryParseBandwidth(text, out var value, out var error), error);
        Assert.Equal(bps, value);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("30MB/s")]
    [InlineData("0bps")]
    [InlineData("fast")]
    public void Bad_bandwidths_are_refused(string text) =>
        Assert.False(Units.TryParseBandwidth(text, out _, out _));

    [Theory]
    [InlineData("20%", 0.2)]
    [InlineData("0.2%", 0.002)]
    [InlineData("12.5%", 0.125)]
    [InlineData("100%", 1.0)]
    [InlineData("0", 0.0)]
    public void Percentages_are_fractions(string text, double fraction)
    {
        Assert.True(Units.TryParsePercent(text, out var value, out var error), error);
        Assert.Equal((decimal)fraction, value);
    }

    [Fact]
    public void Ranges_parse_fixed_and_spans()
    {
        Assert.True(DurationRange.TryParse("2s..5s", out var span, out _));
        Assert.Equal(new DurationRange(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)), span);
        Assert.Equal("2s..5s", span!.ToString());
        Assert.True(DurationRange.TryParse("100ms", out var fixedRange, out _));
        Assert.True(fixedRange!.IsFixed);
        Assert.Equal("100ms", fixedRange.ToString());
        Assert.False(DurationRange.TryParse("5s..2s", out _, out var error));
        Assert.Equal("the range's minimum 5s is above its maximum 2s", error);
        Assert.False(DurationRange.TryParse("2s..", out _, out _));
    }

    [Fact]
    public void Draws_are_deterministic_for_a_seed_and_stay_in_range()
    {
        var range = new DurationRange(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        var a = new Random(42);
        var b = new Random(42);
        var drawsA = Enumerable.Range(0, 1000).Select(_ => range.Draw(a)).ToList();
        var drawsB = Enumerable.Range(0, 1000).Select(_ => range.Draw(b)).ToList();
        Assert.Equal(drawsA, drawsB);
        Assert.All(drawsA, d => Assert.InRange(d, range.Min, range.Max));
        Assert.True(drawsA.Distinct().Count() > 900);                         // actually spread out
        Assert.True(drawsA.Average(d => d.TotalMilliseconds) is > 500 and < 600); // uniform mean is 550ms

        var other = Enumerable.Range(0, 1000).Select(_ => range.Draw(new Random(43))).ToList();
        Assert.NotEqual(drawsA, other);
    }

    [Fact]
    public void A_fixed_range_always_draws_its_value_but_still_consumes_one_draw()
    {
        var range = DurationRange.Fixed(TimeSpan.FromSeconds(2));
        var rng = new Random(1);
        Assert.Equal(TimeSpan.FromSeconds(2), range.Draw(rng));
        var expectedNext = new Random(1);
        expectedNext.NextInt64(0, 1);
        Assert.Equal(expectedNext.Next(), rng.Next());
    }
}
