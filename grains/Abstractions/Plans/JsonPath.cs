using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace SimCluster.Abstractions.Plans;

/// <summary>
/// A path into a JSON document, as scenarios write them: property names joined by dots, array indices in brackets,
/// an optional leading <c>$.</c> (<c>re</c>, <c>result.id</c>, <c>items[0].id</c>). Parsed once; read with a
/// <see cref="Utf8JsonReader"/> over the frame's bytes, skipping what is off the path (no document is built).
/// </summary>
public sealed class JsonPath
{
    private readonly Segment[] _segments;

    private JsonPath(string text, Segment[] segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }

    public override string ToString() => Text;

    private readonly record struct Segment(byte[]? Name, int Index);

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong and <paramref name="at"/> where (0-based).</summary>
    public static bool TryParse(string text, out JsonPath? path, out string? error, out int at)
    {
        path = null;
        error = null;
        at = 0;
        var s = text;
        var i = 0;
        if (s.StartsWith("$.", StringComparison.Ordinal)) i = 2;
        else if (s.StartsWith('$') && s.Length > 1 && s[1] == '[') i = 1;
        var segments = new List<Segment>();
        var expectName = true;
        while (i < s.Length)
        {
            if (s[i] == '[')
            {
                var close = s.IndexOf(']', i);
                if (close < 0 || !int.TryParse(s.AsSpan(i + 1, close - i - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    (error, at) = ("an array index is a whole number in brackets, like [0]", i);
                    return false;
                }
                segments.Add(new Segment(null, index));
                i = close + 1;
                expectName = false;
                if (i < s.Length && s[i] == '.') { i++; expectName = true; if (i == s.Length) { (error, at) = ("the path ends with '.'", i - 1); return false; } }
                else if (i < s.Length && s[i] != '[') { (error, at) = ("expected '.' or '[' after an index", i); return false; }
                continue;
            }
            if (!expectName) { (error, at) = ("expected '.' or '['", i); return false; }
            var end = i;
            while (end < s.Length && s[end] is not '.' and not '[') end++;
            if (end == i) { (error, at) = ("an empty property name", i); return false; }
            segments.Add(new Segment(Encoding.UTF8.GetBytes(s[i..end]), 0));
            i = end;
            expectName = false;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                expectName = true;
                if (i == s.Length) { (error, at) = ("the path ends with '.'", i - 1); return false; }
            }
        }
        if (segments.Count == 0) { (error, at) = ("an empty path", 0); return false; }
        path = new JsonPath(text, [.. segments]);
        return true;
    }

    public static JsonPath Parse(string text) =>
        TryParse(text, out var path, out var error, out var at) ? path! : throw new FormatException($"JSON path '{text}', at {at}: {error}");

    /// <summary>The value at the path: a string's text, or the JSON text of a number, true, false or null; an object or array gives "".</summary>
    public bool TryReadText(ReadOnlySpan<byte> utf8, out string text)
    {
        text = "";
        var reader = new Utf8JsonReader(utf8);
        try
        {
            if (!Seek(ref reader)) return false;
            text = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString()!,
                JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null => Encoding.UTF8.GetString(reader.ValueSpan),
                _ => "",
            };
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The whole number at the path: a JSON integer, or a string holding one.</summary>
    public bool TryReadLong(ReadOnlySpan<byte> utf8, out long value)
    {
        value = 0;
        var reader = new Utf8JsonReader(utf8);
        try
        {
            if (!Seek(ref reader)) return false;
            return reader.TokenType switch
            {
                JsonTokenType.Number => reader.TryGetInt64(out value),
                JsonTokenType.String when !reader.ValueIsEscaped => Utf8Parser.TryParse(reader.ValueSpan, out value, out var used) && used == reader.ValueSpan.Length,
                _ => false,
            };
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether anything is at the path.</summary>
    public bool Exists(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        try
        {
            return Seek(ref reader);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Moves the reader onto the value at the path.</summary>
    private bool Seek(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) return false;
        foreach (var segment in _segments)
        {
            if (segment.Name is { } name)
            {
                if (reader.TokenType != JsonTokenType.StartObject) return false;
                var found = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var match = reader.ValueTextEquals(name);
                    if (!reader.Read()) return false;
                    if (match) { found = true; break; }
                    reader.Skip();
                }
                if (!found) return false;
            }
            else
            {
                if (reader.TokenType != JsonTokenType.StartArray) return false;
                var index = 0;
                var found = false;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (index == segment.Index) { found = true; break; }
                    reader.Skip();
                    index++;
                }
                if (!found) return false;
            }
        }
        return true;
    }
}
