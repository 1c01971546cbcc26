using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SimCluster.Abstractions.Plans;

/// <summary>
/// A frame template of <c>protocol: json</c>: literal text with <c>{seq}</c>, <c>{ts}</c>, <c>{client}</c> and
/// <c>{body}</c> (padding that brings the frame to a size). Split into parts once; each fill is one string.
/// Other braces are the JSON's own.
/// </summary>
public sealed class JsonTemplate
{
    private enum Part { Literal, Seq, Ts, Client, Body }

    private readonly (Part Kind, string Text)[] _parts;
    private readonly int _literalLength;

    public JsonTemplate(string text)
    {
        Text = text;
        var parts = new List<(Part, string)>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '{') continue;
            var kind = Placeholder(text.AsSpan(i), out var length);
            if (kind == Part.Literal) continue;
            if (i > start) parts.Add((Part.Literal, text[start..i]));
            parts.Add((kind, ""));
            i += length - 1;
            start = i + 1;
        }
        if (start < text.Length) parts.Add((Part.Literal, text[start..]));
        _parts = [.. parts];
        _literalLength = _parts.Where(p => p.Kind == Part.Literal).Sum(p => p.Text.Length);
        HasBody = _parts.Any(p => p.Kind == Part.Body);
    }

    public string Text { get; }

    public bool HasBody { get; }

    private static Part Placeholder(ReadOnlySpan<char> at, out int length)
    {
        foreach (var (name, kind) in Names)
        {
            if (at.StartsWith(name, StringComparison.Ordinal)) { length = name.Length; return kind; }
        }
        length = 0;
        return Part.Literal;
    }

    private static readonly (string, Part)[] Names = [("{seq}", Part.Seq), ("{ts}", Part.Ts), ("{client}", Part.Client), ("{body}", Part.Body)];

    /// <summary>The frame for request <paramref name="seq"/>; <c>{body}</c> pads it to <paramref name="size"/> characters (empty when the rest is already that long).</summary>
    public string Fill(long seq, long unixMs, int client, int size)
    {
        Span<char> number = stackalloc char[20];
        var fixedLength = _literalLength;
        foreach (var (kind, _) in _parts)
        {
            fixedLength += kind switch
            {
                Part.Seq => Digits(seq),
                Part.Ts => Digits(unixMs),
                Part.Client => Digits(client),
                _ => 0,
            };
        }
        var bodies = _parts.Count(p => p.Kind == Part.Body);
        var body = bodies == 0 ? 0 : Math.Max(0, size - fixedLength) / bodies;
        var builder = new StringBuilder(fixedLength + body * bodies);
        foreach (var (kind, text) in _parts)
        {
            switch (kind)
            {
                case Part.Literal: builder.Append(text); break;
                case Part.Seq: builder.Append(seq.ToString(CultureInfo.InvariantCulture)); break;
                case Part.Ts: builder.Append(unixMs.ToString(CultureInfo.InvariantCulture)); break;
                case Part.Client: builder.Append(client.ToString(CultureInfo.InvariantCulture)); break;
                case Part.Body: builder.Append('x', body); break;
            }
        }
        return builder.ToString();
    }

    /// <summary>
    /// Null when the template, filled with sample values, is one JSON document; otherwise what is wrong, with the
    /// line and column (1-based) in the filled text.
    /// </summary>
    public static string? Check(string text)
    {
        var filled = new JsonTemplate(text).Fill(1, 1_700_000_000_000, 0, 0);
        try
        {
            using var _ = JsonDocument.Parse(filled);
            return null;
        }
        catch (JsonException e)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var column = (e.BytePositionInLine ?? 0) + 1;
            var reason = e.Message;
            var cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut > 0) reason = reason[..cut];
            return $"is not valid JSON once {{seq}}, {{ts}}, {{client}} and {{body}} are filled in (line {line}, column {column} of the filled frame): {reason}";
        }
    }

    /// <summary>Whether the template, filled with sample values, is a JSON array (call after <see cref="Check"/> passed).</summary>
    public static bool IsArray(string text)
    {
        using var doc = JsonDocument.Parse(new JsonTemplate(text).Fill(1, 1_700_000_000_000, 0, 0));
        return doc.RootElement.ValueKind == JsonValueKind.Array;
    }

    private static int Digits(long value)
    {
        if (value < 0) return Digits(-value) + 1;
        var digits = 1;
        for (; value >= 10; value /= 10) digits++;
        return digits;
    }
}
