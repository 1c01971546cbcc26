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

    public override string Describe() => IsNull ? "nothing" : $"'{Value}'";
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
    /// <summary>In file order; keys are unique (the tree builder reports and drops duplicates).</summary>
    public List<YEntry> Entries { get; } = [];

    public YEntry? Find(string key) => Entries.Find(e => e.Key.Value == key);

    public override string Describe() => "a mapping";
}

/// <summary>Helpers to build key paths like <c>population[1].flapping.cycles</c>.</summary>
internal static class KeyPath
{
    public static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
    public static string Index(string path, int index) => $"{path}[{index}]";
}
