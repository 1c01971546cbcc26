using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SimCluster.Scenarios.Yaml;

/// <summary>
/// Turns YAML text into a <see cref="YNode"/> tree using YamlDotNet's event parser, which gives each
/// event its line and column. Duplicate keys are reported here (and the repeat dropped) so the rest of
/// the file still gets checked.
/// </summary>
internal static class YamlTree
{
    /// <summary>
    /// Returns the document's root, or null after reporting why there is none (syntax error, empty file).
    /// <paramref name="columnOffset"/> and <paramref name="basePath"/> let an override value be parsed as
    /// its own little document while errors still point into the <c>--set</c> text.
    /// </summary>
    public static YNode? Load(string text, string source, Diagnostics diag, int columnOffset = 0, string basePath = "")
    {
        var builder = new Builder(new Parser(new StringReader(text)), source, diag, columnOffset, basePath);
        return builder.ReadDocument();
    }

    private sealed class TooDeepException(Mark at) : Exception
    {
        public Mark At { get; } = at;
    }

    private sealed class Builder(IParser parser, string source, Diagnostics diag, int columnOffset, string basePath)
    {
        private readonly Dictionary<string, YNode> anchors = new(StringComparer.Ordinal);
        // Mappings and lists still being read: an alias to one of them would make the tree a cycle.
        private readonly HashSet<YNode> open = new(ReferenceEqualityComparer.Instance);
        private string path = "";         // where we are, for the key path of a syntax error
        private Mark lastGood = Mark.Empty;   // end of the last event read, for errors without a position

        public YNode? ReadDocument()
        {
            path = basePath;
            try
            {
                parser.MoveNext();                        // StreamStart
                parser.MoveNext();
                if (parser.Current is StreamEnd)
                {
                    Error(Mark.Empty, "the scenario is empty");
                    return null;
                }
                parser.MoveNext();                        // past DocumentStart
                var root = ReadNode(basePath, depth: 0);
                parser.MoveNext();                        // past DocumentEnd
                if (parser.Current is DocumentStart extra)
                {
                    Error(extra.Start, "only one YAML document is allowed in a scenario");
                    return null;
                }
                if (root is YScalar { IsNull: true })
                {
                    Error(Mark.Empty, "the scenario is empty");
                    return null;
                }
                return root;
            }
            catch (YamlException e)
            {
                Error(e.Start, Excerpt.Message(e.Message));
                return null;
            }
            catch (TooDeepException e)
            {
                // Stop at once: reading on would recurse as deep as the input goes.
                Error(e.At, ScenarioLimits.TooDeep);
                return null;
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's scanner fails this way on some broken input (an unclosed flow list, for one)
                // instead of with a YamlException; point at the last place it read fine.
                Error(lastGood, "the YAML cannot be read after this point; look for an unclosed [, { or quote");
                return null;
            }
        }

        private YNode ReadNode(string nodePath, int depth)
        {
            path = nodePath;
            var ev = parser.Current ?? throw new InvalidOperationException("unexpected end of the YAML event stream");
            if (depth > ScenarioLimits.MaxDepth)
                throw new TooDeepException(ev.Start);
            lastGood = ev.End;
            parser.MoveNext();
            switch (ev)
            {
                case Scalar s:
                    return Remember(s.Anchor, new YScalar(s.Value, s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted,
                        source, (int)s.Start.Line, Col(s.Start)));

                case SequenceStart ss:
                {
                    var seq = new YSequence(source, (int)ss.Start.Line, Col(ss.Start));
                    Remember(ss.Anchor, seq);
                    open.Add(seq);
                    while (parser.Current is not SequenceEnd)
                        seq.Items.Add(ReadNode(KeyPath.Index(nodePath, seq.Items.Count), depth + 1));
                    open.Remove(seq);
                    parser.MoveNext();
                    return seq;
                }

                case MappingStart ms:
                {
                    var map = new YMapping(source, (int)ms.Start.Line, Col(ms.Start));
                    Remember(ms.Anchor, map);
                    open.Add(map);
                    while (parser.Current is not MappingEnd)
                        ReadEntry(map, nodePath, depth + 1);
                    open.Remove(map);
                    parser.MoveNext();
                    return map;
                }

                case AnchorAlias alias:
                    if (anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        if (open.Contains(target))
                            throw new YamlException(alias.Start, alias.End, $"alias '*{Excerpt.Of(alias.Value.Value)}' refers to a mapping or list that contains it");
                        return target;
                    }
                    throw new YamlException(alias.Start, alias.End, $"unknown alias '*{Excerpt.Of(alias.Value.Value)}'");

                default:
                    throw new YamlException(ev.Start, ev.End, $"unexpected YAML element {ev.GetType().Name}");
            }
        }

        private void ReadEntry(YMapping map, string mapPath, int depth)
        {
            var keyNode = ReadNode(mapPath, depth);
            if (keyNode is not YScalar key)
            {
                Error(keyNode, "keys must be plain names, not a list or mapping");
                ReadNode(mapPath, depth);                 // read and drop the value
                return;
            }
            var value = ReadNode(KeyPath.Child(mapPath, key.Value), depth);
            var first = map.Find(key.Value);
            if (first is not null)
            {
                diag.Add(key, KeyPath.Child(mapPath, key.Value),
                    $"duplicate key {Excerpt.Quote(key.Value)} (first given at line {first.Key.Line}, column {first.Key.Column})");
                return;                                   // keep the first, so later checks see one value
            }
            map.Add(new YEntry(key, value));
        }

        private YNode Remember(AnchorName anchor, YNode node)
        {
            if (!anchor.IsEmpty)
                anchors[anchor.Value] = node;
            return node;
        }

        private int Col(Mark mark) => (int)mark.Column + columnOffset;

        private void Error(Mark at, string message) => diag.Add(source, (int)at.Line, Col(at), path, message);

        private void Error(YNode at, string message) => diag.Add(at, path, message);
    }
}
