using System.Globalization;

namespace SimCluster.Scenarios;

/// <summary>
/// The one number reader of scenario files, <c>--set</c>, <c>--clients</c>, <c>--duration</c> and the control
/// API: ASCII digits only (<c>char.IsDigit</c> and the regex <c>\d</c> also take Arabic-Indic and other Unicode
/// digits, which the framework's parsers then reject with an exception), at most one decimal point, invariant
/// culture, and a bound on the digits so an absurd value is an error instead of an overflow.
/// </summary>
public static class Numbers
{
    /// <summary>Digits accepted before the decimal point: enough for any long, far below decimal's 28.</summary>
    public const int MaxWholeDigits = 19;

    /// <summary>Digits accepted after the decimal point (more are precision nobody asked for).</summary>
    public const int MaxFractionDigits = 9;

    /// <summary>Length of <c>[-]digits[.digits]</c> at the start of <paramref name="text"/> (ASCII only); 0 when there is none.</summary>
    public static int Scan(ReadOnlySpan<char> text, bool allowSign, bool allowFraction)
    {
        var i = allowSign && text.Length > 0 && text[0] == '-' ? 1 : 0;
        var digitsStart = i;
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        if (i == digitsStart) return 0;
        if (allowFraction && i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        }
        return i;
    }

    /// <summary>
    /// <c>[-]digits[.digits]</c>, the whole text. False (with no exception) for anything else: Unicode digits,
    /// exponents, spaces, more than <see cref="MaxWholeDigits"/> whole or <see cref="MaxFractionDigits"/> fraction digits.
    /// </summary>
    public static bool TryParseDecimal(ReadOnlySpan<char> text, bool allowSign, out decimal value)
    {
        value = 0;
        if (text.Length == 0 || Scan(text, allowSign, allowFraction: true) != text.Length) return false;
        var unsigned = text[0] == '-' ? text[1..] : text;
        var dot = unsigned.IndexOf('.');
        var whole = dot < 0 ? unsigned : unsigned[..dot];
        var fraction = dot < 0 ? [] : unsigned[(dot + 1)..];
        if (whole.TrimStart('0').Length > MaxWholeDigits || fraction.Length > MaxFractionDigits) return false;
        return decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A whole number <c>[-]digits</c> from <paramref name="min"/> to <paramref name="max"/>; <paramref name="error"/> says which rule failed.</summary>
    public static bool TryParseWhole(ReadOnlySpan<char> text, long min, long max, out long value, out string? error)
    {
        value = 0;
        // A sign is read even where only positive numbers go: "-5" is out of range rather than not a number.
        if (text.Length == 0 || Scan(text, allowSign: true, allowFraction: false) != text.Length)
        {
            error = $"expected {WholeForm(min, max)}, got {Excerpt.Quote(text.ToString())}";
            return false;
        }
        var parsed = TryParseDecimal(text, allowSign: true, out var d);
        if (!parsed || d < min || d > max)
        {
            error = $"must be {RangeText(min, max)}, got {(parsed ? d.ToString(CultureInfo.InvariantCulture) : Excerpt.Quote(text.ToString()))}";
            return false;
        }
        value = (long)d;
        error = null;
        return true;
    }

    public static string WholeForm(long min, long max) => $"a whole number {RangeText(min, max)}";

    public static string RangeText(long min, long max) =>
        max >= int.MaxValue ? $"{min} or more" : $"from {min} to {max}";
}

/// <summary>Error messages quote what the user wrote, but never more than a short excerpt of it.</summary>
public static class Excerpt
{
    public const int MaxChars = 40;

    /// <summary><c>'value'</c>, or its first <see cref="MaxChars"/> characters and how long it was.</summary>
    public static string Quote(string value) =>
        value.Length <= MaxChars ? $"'{value}'" : $"'{Head(value)}…' ({value.Length.ToString("N0", CultureInfo.InvariantCulture)} characters)";

    /// <summary>The text itself, shortened the same way, for places that add their own quotes.</summary>
    public static string Of(string value) =>
        value.Length <= MaxChars ? value : $"{Head(value)}…";

    /// <summary>A library's error message, kept to its first 200 characters (some quote the input they choked on).</summary>
    public static string Message(string message) => message.Length <= 200 ? message : message[..200] + "…";

    /// <summary>The first characters, never splitting a surrogate pair.</summary>
    private static string Head(string value) =>
        value[..(char.IsHighSurrogate(value[MaxChars - 1]) ? MaxChars - 1 : MaxChars)];
}
