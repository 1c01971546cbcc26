using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios.Yaml;

/// <summary>
/// Typed reads of single nodes. Each returns the value, or null after adding an error at the node's
/// position that names the expected form. A null YAML value ("key:" alone) never reaches these: the
/// <see cref="MapReader"/> treats it as "not given".
/// </summary>
internal static class NodeReader
{
    public static YScalar? Scalar(YNode node, string path, Diagnostics d, string form)
    {
        if (node is YScalar { IsNull: false } s)
            return s;
        d.Add(node, path, $"expected {form}, got {node.Describe()}");
        return null;
    }

    public static string? String(YNode node, string path, Diagnostics d, string form = "a text value") =>
        Scalar(node, path, d, form)?.Value;

    public static int? Int(YNode node, string path, Diagnostics d, int min, int max) =>
        Long(node, path, d, min, max) is { } v ? (int)v : null;

    public static long? Long(YNode node, string path, Diagnostics d, long min, long max)
    {
        if (Scalar(node, path, d, Numbers.WholeForm(min, max)) is not { } s)
            return null;
        if (!Numbers.TryParseWhole(s.Value.Trim(), min, max, out var v, out var error))
        {
            d.Add(node, path, error!);
            return null;
        }
        return v;
    }

    public static bool? Bool(YNode node, string path, Diagnostics d)
    {
        if (Scalar(node, path, d, "true or false") is not { } s)
            return null;
        switch (s.Value)
        {
            case "true" or "True" or "TRUE": return true;
            case "false" or "False" or "FALSE": return false;
            default:
                d.Add(node, path, $"expected true or false, got {Excerpt.Quote(s.Value)}");
                return null;
        }
    }

    public static TimeSpan? Duration(YNode node, string path, Diagnostics d, bool mustBePositive = false)
    {
        if (Scalar(node, path, d, Units.DurationForm) is not { } s)
            return null;
        if (!Units.TryParseDuration(s.Value, out var value, out var error))
        {
            d.Add(node, path, error!);
            return null;
        }
        if (mustBePositive && value <= TimeSpan.Zero)
        {
            d.Add(node, path, $"must be above 0s, got {Excerpt.Quote(s.Value)}");
            return null;
        }
        return value;
    }

    public static DurationRange? Range(YNode node, string path, Diagnostics d, bool minMustBePositive = false)
    {
        if (Scalar(node, path, d, Units.RangeForm) is not { } s)
            return null;
        if (!Units.TryParseRange(s.Value, out var range, out var error))
        {
            d.Add(node, path, error!);
            return null;
        }
        if (minMustBePositive && range!.Min <= TimeSpan.Zero)
        {
            d.Add(node, path, $"must be above 0s, got {Excerpt.Quote(s.Value)}");
            return null;
        }
        return range;
    }

    /// <summary>A percentage as a fraction; <paramref name="max"/> is a fraction too (1 = 100%).</summary>
    public static decimal? Percent(YNode node, string path, Diagnostics d, bool zeroAllowed, decimal max = 1m)
    {
        if (Scalar(node, path, d, Units.PercentForm) is not { } s)
            return null;
        if (!Units.TryParsePercent(s.Value, out var fraction, out var error))
        {
            d.Add(node, path, error!);
            return null;
        }
        var tooLow = zeroAllowed ? fraction < 0 : fraction <= 0;
        if (tooLow || fraction > max)
        {
            d.Add(node, path, $"must be {(zeroAllowed ? "from 0%" : "above 0%")} and at most {Units.FormatPercent(max)}, got {Excerpt.Quote(s.Value)}");
            return null;
        }
        return fraction;
    }

    public static long? Bandwidth(YNode node, string path, Diagnostics d)
    {
        if (Scalar(node, path, d, Units.BandwidthForm) is not { } s)
            return null;
        if (!Units.TryParseBandwidth(s.Value, out var bps, out var error))
        {
            d.Add(node, path, error!);
            return null;
        }
        return bps;
    }

    /// <summary>One of a fixed set of spellings (an enum in the model); the error lists them in the given order.</summary>
    public static T? Choice<T>(YNode node, string path, Diagnostics d, IReadOnlyList<(string Name, T Value)> choices) where T : struct
    {
        var names = choices.Select(c => c.Name).ToList();
        var form = "one of: " + string.Join(", ", names);
        if (Scalar(node, path, d, form) is not { } s)
            return null;
        foreach (var (name, value) in choices)
        {
            if (name == s.Value)
                return value;
        }
        d.Add(node, path, $"unknown value {Excerpt.Quote(s.Value)}{Suggest.DidYouMean(s.Value, names)}; expected {form}");
        return null;
    }

    /// <summary>An enum value by its spelling (<see cref="Spelling"/>); the error lists the spellings in declaration order.</summary>
    public static T? Choice<T>(YNode node, string path, Diagnostics d) where T : struct, Enum =>
        Choice(node, path, d, Spelling.All<T>());

    /// <summary>A name from the vocabulary, e.g. a behaviour; <paramref name="what"/> is used in the message ("unknown behavior ...").</summary>
    public static string? Name(YNode node, string path, Diagnostics d, IReadOnlySet<string> valid, string what)
    {
        if (Scalar(node, path, d, $"a {what} name ({Suggest.List(valid)})") is not { } s)
            return null;
        if (valid.Contains(s.Value))
            return s.Value;
        d.Add(node, path, $"unknown {what} {Excerpt.Quote(s.Value)}{Suggest.DidYouMean(s.Value, valid)}; valid: {Suggest.List(valid)}");
        return null;
    }

    /// <summary>
    /// The items of a list with their paths. With <paramref name="scalarIsOneItem"/> a single value is
    /// taken as a one-item list (<c>drop: reset</c> as well as <c>drop: [close, reset]</c>).
    /// </summary>
    public static IReadOnlyList<(YNode Node, string Path)>? Items(YNode node, string path, Diagnostics d, string form, bool scalarIsOneItem = false)
    {
        switch (node)
        {
            case YSequence seq:
                return seq.Items.Select((item, i) => (item, KeyPath.Index(path, i))).ToList();
            case YScalar { IsNull: false } when scalarIsOneItem:
                return [(node, path)];
            default:
                d.Add(node, path, $"expected {form}, got {node.Describe()}");
                return null;
        }
    }

}

/// <summary>
/// Reads one YAML mapping key by key. Every key asked for is remembered as known, so afterwards
/// <see cref="ReportUnknownKeys"/> can flag the rest (with a "did you mean") without a separate list of
/// valid keys that could drift from the reading code.
/// </summary>
internal sealed class MapReader
{
    private readonly HashSet<string> known = new(StringComparer.Ordinal);

    private MapReader(YMapping node, string path, Diagnostics diag)
    {
        Node = node;
        Path = path;
        Diag = diag;
    }

    public YMapping Node { get; }
    public string Path { get; }
    public Diagnostics Diag { get; }

    /// <summary>A reader for <paramref name="node"/>, or null after an error when it is not a mapping.</summary>
    public static MapReader? Open(YNode node, string path, Diagnostics diag, string form = "a mapping (key: value lines or { key: value })")
    {
        if (node is YMapping map)
            return new MapReader(map, path, diag);
        diag.Add(node, path, $"expected {form}, got {node.Describe()}");
        return null;
    }

    public string PathOf(string key) => KeyPath.Child(Path, key);

    /// <summary>The value under <paramref name="key"/>; null when the key is absent or its value is YAML null.</summary>
    public YNode? Get(string key)
    {
        known.Add(key);
        var value = Node.Find(key)?.Value;
        return value is YScalar { IsNull: true } ? null : value;
    }

    /// <summary>The key node itself (for errors about the key), or null when absent.</summary>
    public YScalar? KeyNode(string key)
    {
        known.Add(key);
        return Node.Find(key)?.Key;
    }

    /// <summary>Like <see cref="Get"/>, but a missing value is an error that names the expected form.</summary>
    public YNode? Require(string key, string form)
    {
        var value = Get(key);
        if (value is null)
        {
            var entry = Node.Find(key);
            if (entry is null)
                Diag.Add(Node, PathOf(key), $"missing required key {Excerpt.Quote(key)} ({form})");
            else
                Diag.Add(entry.Value, PathOf(key), $"expected {form}, got nothing");
        }
        return value;
    }

    public string? String(string key, string form = "a text value") =>
        Get(key) is { } n ? NodeReader.String(n, PathOf(key), Diag, form) : null;

    public int? Int(string key, int min, int max) =>
        Get(key) is { } n ? NodeReader.Int(n, PathOf(key), Diag, min, max) : null;

    public long? Long(string key, long min, long max) =>
        Get(key) is { } n ? NodeReader.Long(n, PathOf(key), Diag, min, max) : null;

    public bool? Bool(string key) =>
        Get(key) is { } n ? NodeReader.Bool(n, PathOf(key), Diag) : null;

    public TimeSpan? Duration(string key, bool mustBePositive = false) =>
        Get(key) is { } n ? NodeReader.Duration(n, PathOf(key), Diag, mustBePositive) : null;

    public DurationRange? Range(string key, bool minMustBePositive = false) =>
        Get(key) is { } n ? NodeReader.Range(n, PathOf(key), Diag, minMustBePositive) : null;

    public long? Bandwidth(string key) =>
        Get(key) is { } n ? NodeReader.Bandwidth(n, PathOf(key), Diag) : null;

    public T? Choice<T>(string key, IReadOnlyList<(string Name, T Value)> choices) where T : struct =>
        Get(key) is { } n ? NodeReader.Choice(n, PathOf(key), Diag, choices) : null;

    public T? Choice<T>(string key) where T : struct, Enum =>
        Get(key) is { } n ? NodeReader.Choice<T>(n, PathOf(key), Diag) : null;

    public string? Name(string key, IReadOnlySet<string> valid, string what) =>
        Get(key) is { } n ? NodeReader.Name(n, PathOf(key), Diag, valid, what) : null;

    /// <summary>A nested mapping, or null when absent (or after an error when it is not a mapping).</summary>
    public MapReader? Map(string key) =>
        Get(key) is { } n ? Open(n, PathOf(key), Diag) : null;

    /// <summary>Reports every key that no reading code asked for, suggesting the closest known key.</summary>
    public void ReportUnknownKeys()
    {
        string? valid = null;
        YScalar? firstListed = null;
        var listed = 0;
        foreach (var entry in Node.Entries)
        {
            var key = entry.Key.Value;
            if (known.Contains(key))
                continue;
            var hint = Suggest.DidYouMean(key, known);
            if (hint.Length > 0)
            {
                Diag.Add(entry.Key, PathOf(key), $"unknown key {Excerpt.Quote(key)}{hint}");
                continue;
            }
            // The list of valid keys is given with the first few unknown keys of a mapping, not repeated
            // 100,000 times: every message is also searched for secrets, and that cost is per character.
            valid ??= Suggest.List(known);
            firstListed ??= entry.Key;
            Diag.Add(entry.Key, PathOf(key), listed++ < MaxListed
                ? $"unknown key {Excerpt.Quote(key)}; valid keys here: {valid}"
                : $"unknown key {Excerpt.Quote(key)}; the valid keys here are listed at line {firstListed.Line}");
        }
    }

    private const int MaxListed = 10;
}
