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

    // Duration: one or more NUMBER UNIT parts, e.g. 1h, 1m30s, 1.5s, 250ms. A bare number is only
    // accepted for 0: "5" could mean seconds or milliseconds, so we make the user say.
    [GeneratedRegex(@"\G(\d+(?:\.\d+)?)([a-zµ]*)", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPart();

    public static bool TryParseDuration(string text, out TimeSpan value, out string? error)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0) { error = $"expected {DurationForm}, got nothing"; return false; }
        if (s.StartsWith('-')) { error = $"durations cannot be negative, got '{s}'"; return false; }
        if (s == "0") { error = null; return true; }

        decimal totalMs = 0;
        for (var at = 0; at < s.Length;)
        {
            var m = DurationPart().Match(s, at);
            if (!m.Success || m.Length == 0)
            {
                error = $"expected {DurationForm}, got '{s}'";
                return false;
            }
            var number = decimal.Parse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            decimal? perUnitMs = m.Groups[2].Value switch
            {
                "ms" => 1m,
                "s" => 1_000m,
                "m" => 60_000m,
                "h" => 3_600_000m,
                _ => null,
            };
            if (perUnitMs is null)
            {
                var bareNumber = m.Groups[2].Value.Length == 0 && at + m.Length == s.Length;
                error = m.Groups[2].Value.Length == 0
                    ? bareNumber ? $"a duration needs a unit (ms, s, m or h), e.g. 500ms or 5s; got '{s}'" : $"expected {DurationForm}, got '{s}'"
                    : $"unknown duration unit '{m.Groups[2].Value}' in '{s}'; use ms, s, m or h";
                return false;
            }
            totalMs += number * perUnitMs.Value;
            if (totalMs > (decimal)TimeSpan.MaxValue.TotalMilliseconds / 2)
            {
                error = $"duration '{s}' is too long";
                return false;
            }
            at += m.Length;
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
                ? $"expected {RangeForm}, got '{s}'"
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

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(bps|kbps|Kbps|Mbps|Gbps)$", RegexOptions.CultureInvariant)]
    private static partial Regex BandwidthPattern();

    /// <summary>Bits per second from <c>800bps</c>, <c>256kbps</c>, <c>1.5Mbps</c>, <c>1Gbps</c> (decimal prefixes, as networks use).</summary>
    public static bool TryParseBandwidth(string text, out long bitsPerSecond, out string? error)
    {
        bitsPerSecond = 0;
        var s = text.Trim();
        var m = BandwidthPattern().Match(s);
        if (!m.Success)
        {
            error = $"expected {BandwidthForm}, got '{s}'";
            return false;
        }
        var number = decimal.Parse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
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
            error = $"bandwidth must be from 1bps to 1000Gbps, got '{s}'";
            return false;
        }
        bitsPerSecond = (long)bps;
        error = null;
        return true;
    }

    [GeneratedRegex(@"^(-?\d+(?:\.\d+)?)\s*%$", RegexOptions.CultureInvariant)]
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
        if (!m.Success)
        {
            error = $"expected {PercentForm}, got '{s}'";
            return false;
        }
        fraction = decimal.Parse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) / 100m;
        error = null;
        return true;
    }

    /// <summary>0.2 -> "20%", 0.875 -> "87.5%".</summary>
    public static string FormatPercent(decimal fraction) =>
        (fraction * 100m).ToString("0.####", CultureInfo.InvariantCulture) + "%";
}
