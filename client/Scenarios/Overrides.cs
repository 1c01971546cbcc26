using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// Applies one <c>--set KEY=VALUE</c> to the node tree before binding, so an overridden value is
/// checked exactly like one written in the file. KEY is a path such as <c>messages.interval</c> or
/// <c>population[1].flapping.cycles</c>; missing mapping keys are created (a misspelt one is then
/// reported by the binder as an unknown key), and <c>[N]</c> with N = the list's length appends an item.
/// VALUE is taken literally, or parsed as YAML when it starts with [, {, " or '.
/// Nodes made here carry the override's source (<c>--set</c>, or a shortcut such as <c>--duration</c>), line 1 and
/// their column in the override text.
/// </summary>
internal static class Overrides
{

    /// <summary>One step of a path: a key or a list index, with its 1-based column in the override text.</summary>
    private sealed record Step(string? Key, int Index, int Column)
    {
        public bool IsIndex => Key is null;
    }

    public static YNode Apply(YNode root, string text, Diagnostics d, string source = Diagnostics.SetSource)
    {
        var eq = text.IndexOf('=');
        var pathText = eq < 0 ? text : text[..eq];
        if (eq <= 0)
        {
            d.Add(source, 1, 1, pathText, "expected KEY=VALUE, like clients=50 or messages.interval=500ms");
            return root;
        }
        var steps = ParsePath(pathText, out var pathError, out var errorColumn);
        if (steps is null)
        {
            d.Add(source, 1, errorColumn, pathText, pathError!);
            return root;
        }
        var value = ParseValue(text[(eq + 1)..], valueColumn: eq + 2, pathText, d, source);
        if (value is null)
            return root;

        if (root is not YMapping)
        {
            d.Add(source, 1, 1, pathText, "cannot apply: the scenario is not a mapping of keys");
            return root;
        }

        YNode current = root;
        var walked = "";
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var last = i == steps.Count - 1;
            // What to put at this step when it does not exist yet: the value, or an empty container for the next step.
            YNode Fresh() => last ? value : steps[i + 1].IsIndex
                ? new YSequence(source, 1, steps[i + 1].Column)
                : new YMapping(source, 1, steps[i + 1].Column);

            if (!step.IsIndex)
            {
                if (current is not YMapping map)
                {
                    d.Add(source, 1, step.Column, pathText, $"cannot set {Excerpt.Quote(step.Key!)}: {walked} is {current.Describe()}, not a mapping");
                    return root;
                }
                var entry = map.Find(step.Key!);
                if (entry is null)
                    map.Add(entry = new YEntry(new YScalar(step.Key!, false, source, 1, step.Column), Fresh()));
                else if (last || entry.Value is YScalar { IsNull: true })
                    entry.Value = Fresh();
                current = entry.Value;
                walked = KeyPath.Child(walked, step.Key!);
            }
            else
            {
                if (current is not YSequence seq)
                {
                    d.Add(source, 1, step.Column, pathText, $"cannot index [{step.Index}]: {walked} is {current.Describe()}, not a list");
                    return root;
                }
                if (step.Index < seq.Items.Count)
                {
                    if (last)
                        seq.Items[step.Index] = value;
                }
                else if (step.Index == seq.Items.Count)
                    seq.Items.Add(Fresh());
                else
                {
                    d.Add(source, 1, step.Column, pathText,
                        $"index {step.Index} is out of range: {walked} has {seq.Items.Count} item(s); use [{seq.Items.Count}] to add one");
                    return root;
                }
                current = seq.Items[step.Index];
                walked = KeyPath.Index(walked, step.Index);
            }
        }
        return root;
    }

    /// <summary>
    /// key(.key | [N])*. A key runs up to the next '.', '[' or end; braces are kept whole so a threshold
    /// key like <c>reconnect_time{group:a.b}</c> can be addressed.
    /// </summary>
    private static List<Step>? ParsePath(string path, out string? error, out int errorColumn)
    {
        var steps = new List<Step>();
        var i = 0;
        var expectKey = true;
        while (true)
        {
            if (expectKey)
            {
                var start = i;
                var depth = 0;
                while (i < path.Length && (depth > 0 || (path[i] != '.' && path[i] != '[')))
                {
                    if (path[i] == '{') depth++;
                    else if (path[i] == '}') depth--;
                    i++;
                }
                var key = path[start..i].Trim();
                if (key.Length == 0)
                    return Fail(start, "expected a key name here", out error, out errorColumn);
                steps.Add(new Step(key, 0, start + 1));
            }
            if (steps.Count > ScenarioLimits.MaxDepth)
                return Fail(i, $"the path has more than {ScenarioLimits.MaxDepth} steps", out error, out errorColumn);
            if (i == path.Length)
                break;
            if (path[i] == '.')
            {
                i++;
                expectKey = true;
                continue;
            }
            // '[' N ']'
            var open = i++;
            var digitsStart = i;
            while (i < path.Length && char.IsAsciiDigit(path[i])) i++;
            if (i == digitsStart || i >= path.Length || path[i] != ']'
                || !Numbers.TryParseWhole(path.AsSpan(digitsStart, i - digitsStart), 0, int.MaxValue, out var index, out _))
                return Fail(open, "expected a list index like [0]", out error, out errorColumn);
            i++;
            steps.Add(new Step(null, (int)index, open + 1));
            expectKey = false;
            if (i < path.Length && path[i] != '.' && path[i] != '[')
                return Fail(i, "expected '.' or '[' after an index", out error, out errorColumn);
        }
        error = null;
        errorColumn = 0;
        return steps;
    }

    private static List<Step>? Fail(int pos, string message, out string? error, out int errorColumn)
    {
        error = message;
        errorColumn = pos + 1;
        return null;
    }

    private static YNode? ParseValue(string text, int valueColumn, string path, Diagnostics d, string source)
    {
        if (text.Length > 0 && text[0] is '[' or '{' or '"' or '\'')
            return YamlTree.Load(text, source, d, columnOffset: valueColumn - 1, basePath: path);
        return new YScalar(text, false, source, 1, valueColumn);
    }
}
