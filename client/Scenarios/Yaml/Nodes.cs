namespace SimCluster.Scenarios.Yaml;

/// <summary>
/// A small YAML node tree that remembers where each node came from. We build our own instead of using
/// YamlDotNet's YamlStream because YamlStream throws on the first duplicate key (hiding every other
/// error) and its nodes are awkward to edit, while <c>--set</c> overrides must edit the tree.
/// </summary>
internal abstract class YNode(string source, int line, int column)
{
    /// <summary>The file name, or <c>--set</c> for nodes that came from an override.</summary>
    public string Source { get; } = source;
    public int Line { get; } = line;
    public int Column { get; } = column;

    /// <summary>For messages: "a mapping", "a list", "'abc'".</summary>
    public abstract string Describe();
}

internal sealed class YScalar(string value, bool quoted, string source, int line, int column) : YNode(source, line, column)
{
    public string Value { get; } = value;
    /// <summary>Written in quotes: never null, and its text starts one column after <see cref="YNode.Column"/>.</summary>
    public bool Quoted { get; } = quoted;

    /// <summary>YAML's plain null: <c>key:</c> with nothing after it, <c>~</c> or <c>null</c>. Treated as "not given".</summary>
    public bool IsNull => !Quoted && Value is "" or "~" or "null" or "Null" or "NULL";

    /// <summary>Column of the first character of the text itself (after an opening quote).</summary>
    public int TextColumn => Column + (Quoted ? 1 : 0);

    public override string Describe() => IsNull ? "nothing" : Excerpt.Quote(Value);
}

internal sealed class YSequence(string source, int line, int column) : YNode(source, line, column)
{
    public List<YNode> Items { get; } = [];
    public override string Describe() => "a list";
}

internal sealed class YEntry(YScalar key, YNode value)
{
    public YScalar Key { get; } = key;
    /// <summary>Settable so an override can replace a value in place.</summary>
    public YNode Value { get; set; } = value;
}

internal sealed class YMapping(string source, int line, int column) : YNode(source, line, column)
{
    private readonly List<YEntry> entries = [];
    // Keys are looked up once per entry while the tree is built (duplicates) and once per known key while it
    // is bound: an index keeps a mapping with 100,000 keys linear instead of quadratic.
    private readonly Dictionary<string, YEntry> byKey = new(StringComparer.Ordinal);

    /// <summary>In file order; keys are unique (the tree builder reports and drops duplicates).</summary>
    public IReadOnlyList<YEntry> Entries => entries;

    public YEntry? Find(string key) => byKey.GetValueOrDefault(key);

    /// <summary>Adds an entry whose key is not there yet (the caller checks with <see cref="Find"/>).</summary>
    public void Add(YEntry entry)
    {
        byKey.Add(entry.Key.Value, entry);
        entries.Add(entry);
    }

    public override string Describe() => "a mapping";
}

/// <summary>Helpers to build key paths like <c>population[1].flapping.cycles</c>.</summary>
internal static class KeyPath
{
    /// <summary>
    /// A key longer than this is shortened in paths: every error under it repeats its path, so a 1 MB key
    /// must not be copied into each of them.
    /// </summary>
    public const int MaxKeyChars = 64;

    public static string Child(string path, string key)
    {
        var shown = key.Length <= MaxKeyChars ? key : key[..MaxKeyChars] + "…";
        return path.Length == 0 ? shown : $"{path}.{shown}";
    }

    public static string Index(string path, int index) => $"{path}[{index}]";
}
