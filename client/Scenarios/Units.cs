using System.Globalization;
using System.Text.RegularExpressions;

namespace SimCluster.Scenarios;

/// <summary>
/// The value syntaxes of scenario files: durations (<c>250ms</c>, <c>1m30s</c>), ranges (<c>2s..5s</c>),
/// bandwidths (<c>30Mbps</c>), percentages (<c>20%</c>). Public so the command line can parse
/// <c>--duration</c> the same way. Errors say what form was expected.
/// </summary>
public static partial class Units
{
    public const string DurationForm = "a duration like 250ms, 2s or 1m30s";
    public const string RangeForm = "a duration or a range like 2s or 2s..5s";
    public const string BandwidthForm = "a bandwidth like 30Mbps, 256kbps or 800bps";
    public const string PercentForm = "a percentage like 20%";

    public static bool TryParseDuration(string text, out TimeSpan value, out string? error)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0) { error = $"expected {DurationForm}, got nothing"; return false; }
        if (s.StartsWith('-')) { error = $"durations cannot be negative, got {Excerpt.Quote(s)}"; return false; }
        if (s == "0") { error = null; return true; }

        // One or more NUMBER UNIT parts, e.g. 1h, 1m30s, 1.5s, 250ms. A bare number is only accepted for
        // 0: "5" could mean seconds or milliseconds, so we make the user say.
        decimal totalMs = 0;
        for (var at = 0; at < s.Length;)
        {
            var numberLength = Numbers.Scan(s.AsSpan(at), allowSign: false, allowFraction: true);
            if (numberLength == 0 || !Numbers.TryParseDecimal(s.AsSpan(at, numberLength), allowSign: false, out var number))
            {
                error = numberLength == 0 ? $"expected {DurationForm}, got {Excerpt.Quote(s)}" : $"a number in {Excerpt.Quote(s)} has too many digits";
                return false;
            }
            var unitStart = at + numberLength;
            var unitEnd = unitStart;
            while (unitEnd < s.Length && (char.IsAsciiLetterLower(s[unitEnd]) || s[unitEnd] == 'µ')) unitEnd++;
            var unit = s[unitStart..unitEnd];
            decimal? perUnitMs = unit switch
            {
                "ms" => 1m,
                "s" => 1_000m,
                "m" => 60_000m,
                "h" => 3_600_000m,
                _ => null,
            };
            if (perUnitMs is null)
            {
                var bareNumber = unit.Length == 0 && unitEnd == s.Length;
                error = unit.Length == 0
                    ? bareNumber ? $"a duration needs a unit (ms, s, m or h), e.g. 500ms or 5s; got {Excerpt.Quote(s)}" : $"expected {DurationForm}, got {Excerpt.Quote(s)}"
                    : $"unknown duration unit {Excerpt.Quote(unit)} in {Excerpt.Quote(s)}; use ms, s, m or h";
                return false;
            }
            totalMs += number * perUnitMs.Value;
            if (totalMs > (decimal)TimeSpan.MaxValue.TotalMilliseconds / 2)
            {
                error = $"duration {Excerpt.Quote(s)} is too long";
                return false;
            }
            at = unitEnd;
        }
        value = TimeSpan.FromTicks((long)Math.Round(totalMs * TimeSpan.TicksPerMillisecond));
        error = null;
        return true;
    }

    /// <summary>The shortest form <see cref="TryParseDuration"/> reads back: <c>0s</c>, <c>250ms</c>, <c>1m30s</c>, <c>1h</c>.</summary>
    public static string FormatDuration(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        var sign = value < TimeSpan.Zero ? "-" : "";
        var t = value.Duration();
        var parts = new System.Text.StringBuilder(sign);
        var hours = (long)t.TotalHours;
        if (hours > 0) parts.Append(CultureInfo.InvariantCulture, $"{hours}h");
        if (t.Minutes > 0) parts.Append(CultureInfo.InvariantCulture, $"{t.Minutes}m");
        if (t.Seconds > 0) parts.Append(CultureInfo.InvariantCulture, $"{t.Seconds}s");
        var subSecondTicks = t.Ticks % TimeSpan.TicksPerSecond;
        if (subSecondTicks > 0)
        {
            var ms = (decimal)subSecondTicks / TimeSpan.TicksPerMillisecond;
            parts.Append(ms.ToString("0.####", CultureInfo.InvariantCulture)).Append("ms");
        }
        return parts.ToString();
    }

    /// <summary><c>2s</c> (fixed) or <c>2s..5s</c>; the minimum may not exceed the maximum.</summary>
    public static bool TryParseRange(string text, out DurationRange? range, out string? error)
    {
        range = null;
        var s = text.Trim();
        var dots = s.IndexOf("..", StringComparison.Ordinal);
        var minText = dots < 0 ? s : s[..dots];
        var maxText = dots < 0 ? s : s[(dots + 2)..];
        if (!TryParseDuration(minText, out var min, out var partError) || !TryParseDuration(maxText, out var max, out partError))
        {
            // Keep a specific complaint (negative, missing unit); replace a generic one with the range form.
            error = partError is null || partError.StartsWith("expected", StringComparison.Ordinal)
                ? $"expected {RangeForm}, got {Excerpt.Quote(s)}"
                : partError;
            return false;
        }
        if (min > max)
        {
            error = $"the range's minimum {FormatDuration(min)} is above its maximum {FormatDuration(max)}";
            return false;
        }
        range = new DurationRange(min, max);
        error = null;
        return true;
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*(bps|kbps|Kbps|Mbps|Gbps)$", RegexOptions.CultureInvariant)]
    private static partial Regex BandwidthPattern();

    /// <summary>Bits per second from <c>800bps</c>, <c>256kbps</c>, <c>1.5Mbps</c>, <c>1Gbps</c> (decimal prefixes, as networks use).</summary>
    public static bool TryParseBandwidth(string text, out long bitsPerSecond, out string? error)
    {
        bitsPerSecond = 0;
        var s = text.Trim();
        var m = BandwidthPattern().Match(s);
        if (!m.Success || !Numbers.TryParseDecimal(m.Groups[1].ValueSpan, allowSign: false, out var number))
        {
            error = m.Success ? $"bandwidth must be from 1bps to 1000Gbps, got {Excerpt.Quote(s)}" : $"expected {BandwidthForm}, got {Excerpt.Quote(s)}";
            return false;
        }
        var perUnit = m.Groups[2].Value switch
        {
            "bps" => 1m,
            "kbps" or "Kbps" => 1_000m,
            "Mbps" => 1_000_000m,
            _ => 1_000_000_000m,
        };
        var bps = Math.Round(number * perUnit);
        if (bps < 1 || bps > 1_000_000_000_000m)
        {
            error = $"bandwidth must be from 1bps to 1000Gbps, got {Excerpt.Quote(s)}";
            return false;
        }
        bitsPerSecond = (long)bps;
        error = null;
        return true;
    }

    [GeneratedRegex(@"^(-?[0-9]+(?:\.[0-9]+)?)\s*%$", RegexOptions.CultureInvariant)]
    private static partial Regex PercentPattern();

    /// <summary>
    /// <c>20%</c> -> 0.2 (a fraction, as decimal so shares like 12.5% add up exactly). A bare <c>0</c> is
    /// accepted; range checks are the caller's.
    /// </summary>
    public static bool TryParsePercent(string text, out decimal fraction, out string? error)
    {
        fraction = 0;
        var s = text.Trim();
        if (s == "0") { error = null; return true; }
        var m = PercentPattern().Match(s);
        if (!m.Success || !Numbers.TryParseDecimal(m.Groups[1].ValueSpan, allowSign: true, out var percent))
        {
            error = m.Success ? $"percentage {Excerpt.Quote(s)} is out of range" : $"expected {PercentForm}, got {Excerpt.Quote(s)}";
            return false;
        }
        fraction = percent / 100m;
        error = null;
        return true;
    }

    /// <summary>0.2 -> "20%", 0.875 -> "87.5%".</summary>
    public static string FormatPercent(decimal fraction) =>
        (fraction * 100m).ToString("0.####", CultureInfo.InvariantCulture) + "%";
}
