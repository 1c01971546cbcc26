using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// Reads <c>population</c>: groups with unique names, shares summing to 100%, a known behaviour and
/// exactly the behaviour block it needs; then splits the client count across groups.
/// </summary>
internal static class PopulationBinder
{
    /// <summary>Behaviours that have a configuration block of the same name.</summary>
    private static readonly string[] BlockBehaviors = ["flapping", "zombie", "switching", "malformed"];

    /// <summary>
    /// The groups with their client counts, or null after errors. <paramref name="groupNames"/> gets
    /// every group name that could be read even when other parts are wrong, so thresholds can still
    /// check their group tags; it is null only when the list itself was unreadable.
    /// </summary>
    /// <param name="run">The run's duration and rampUp, when both could be read: zombies check their watch against it.</param>
    public static List<GroupSpec>? Bind(MapReader root, int? clients, (TimeSpan Duration, TimeSpan RampUp)? run, ScenarioVocabulary vocab, ProtocolKind protocol, out IReadOnlySet<string>? groupNames)
    {
        var d = root.Diag;
        const string path = "population";
        groupNames = null;
        if (root.Get(path) is not { } node)
        {
            groupNames = new HashSet<string>(["steady"], StringComparer.Ordinal);
            return [new GroupSpec { Name = "steady", Share = 1.0, Behavior = "steady", Clients = clients ?? 0 }];
        }

        var items = NodeReader.Items(node, path, d, "a list of groups like - { name: steady, share: 100% }");
        if (items is null)
            return null;
        if (items.Count == 0)
        {
            d.Add(node, path, "population is empty; leave it out for one steady group, or list at least one group");
            return null;
        }

        var errorsBefore = d.Count;
        var groups = new List<GroupSpec?>();
        var shares = new List<decimal?>();
        var firstByName = new Dictionary<string, YNode>(StringComparer.Ordinal);
        foreach (var (itemNode, itemPath) in items)
        {
            var (group, share) = ReadGroup(itemNode, itemPath, d, run, vocab, protocol, onlyGroup: items.Count == 1, firstByName);
            groups.Add(group);
            shares.Add(share);
        }
        groupNames = firstByName.Keys.ToHashSet(StringComparer.Ordinal);

        // The sum is checked whenever every share could be read, even if a group has other errors.
        if (shares.All(s => s is not null))
        {
            var sum = shares.Sum(s => s!.Value);
            if (sum != 1m)
                d.Add(root.KeyNode(path)!, path, $"shares sum to {Units.FormatPercent(sum)}, they must sum to 100%");
        }
        if (d.Count > errorsBefore || clients is null)
            return null;

        var counts = Apportionment.Split(clients.Value, shares.Select(s => s!.Value).ToList());
        return groups.Select((g, i) => g! with { Clients = counts[i] }).ToList();
    }

    /// <summary>The group (null after errors) and its share (null when it could not be read).</summary>
    private static (GroupSpec? Group, decimal? Share) ReadGroup(
        YNode node, string path, Diagnostics d, (TimeSpan Duration, TimeSpan RampUp)? run, ScenarioVocabulary vocab, ProtocolKind protocol, bool onlyGroup, Dictionary<string, YNode> firstByName)
    {
        var g = MapReader.Open(node, path, d, "a group like { name: flappers, share: 20%, behavior: flapping }");
        if (g is null)
            return (null, null);
        var errorsBefore = d.Count;

        string? name = null;
        if (g.Require("name", ScenarioBinder.NameForm) is { } nameNode && NodeReader.String(nameNode, g.PathOf("name"), d) is { } n)
        {
            if (!ScenarioBinder.NamePattern().IsMatch(n))
                d.Add(nameNode, g.PathOf("name"), $"expected {ScenarioBinder.NameForm}, got {Excerpt.Quote(n)}");
            else if (firstByName.TryGetValue(n, out var first))
                d.Add(nameNode, g.PathOf("name"), $"group name {Excerpt.Quote(n)} is already used (line {first.Line}, column {first.Column}); group names must be unique");
            else
            {
                firstByName[n] = nameNode;
                name = n;
            }
        }

        // A lone group may leave out its share: it has every client.
        decimal? share = onlyGroup && g.Get("share") is null
            ? 1m
            : g.Require("share", Units.PercentForm) is { } shareNode ? NodeReader.Percent(shareNode, g.PathOf("share"), d, zeroAllowed: false) : null;

        var behaviorNode = g.Get("behavior");
        var behavior = behaviorNode is null ? "steady" : NodeReader.Name(behaviorNode, g.PathOf("behavior"), d, vocab.Behaviors, "behavior");

        FlappingSpec? flapping = null;
        ZombieSpec? zombie = null;
        SwitchingSpec? switching = null;
        MalformedSpec? malformed = null;
        foreach (var block in BlockBehaviors)
        {
            var blockNode = g.Get(block);
            if (behavior is null)
                continue;                                   // unknown behaviour, already reported: cannot judge blocks
            if (block != behavior)
            {
                if (blockNode is not null)
                    d.Add(g.KeyNode(block)!, g.PathOf(block), $"a {Excerpt.Quote(block)} block only applies to behavior: {block} (this group's behavior is {Excerpt.Quote(behavior)})");
                continue;
            }
            if (blockNode is null)
            {
                if (block == "flapping")
                    flapping = new FlappingSpec();          // flapping has usable defaults; the others do not
                else
                    d.Add(behaviorNode ?? g.Node, g.PathOf(block), $"behavior {Excerpt.Quote(block)} needs a {Excerpt.Quote(block)} block, e.g. {BlockHint(block)}");
                continue;
            }
            if (MapReader.Open(blockNode, g.PathOf(block), d) is not { } bm)
                continue;
            switch (block)
            {
                case "flapping": flapping = ReadFlapping(bm); break;
                case "zombie": zombie = ReadZombie(bm, run, vocab); break;
                case "switching": switching = ReadSwitching(bm, vocab); break;
                case "malformed": malformed = ReadMalformed(bm, vocab, protocol); break;
            }
        }
        g.ReportUnknownKeys();

        if (d.Count > errorsBefore || name is null || share is null || behavior is null)
            return (null, share);
        return (new GroupSpec
        {
            Name = name,
            Share = (double)share.Value,
            Behavior = behavior,
            Flapping = flapping,
            Zombie = zombie,
            Switching = switching,
            Malformed = malformed,
        }, share);
    }

    private static string BlockHint(string block) => block switch
    {
        "zombie" => "zombie: { kind: silent-app }",
        "switching" => "switching: { interfaces: [wifi-good, 4g] }",
        _ => "malformed: { cases: all }",
    };

    private static FlappingSpec ReadFlapping(MapReader m)
    {
        var defaults = new FlappingSpec();
        IReadOnlyList<DropMode> drops = defaults.Drops;
        if (m.Get("drop") is { } dropNode)
        {
            var items = NodeReader.Items(dropNode, m.PathOf("drop"), m.Diag, $"{string.Join(", ", Spelling.NamesOf<DropMode>())}, or a list of them for a mix", scalarIsOneItem: true);
            if (items is { Count: 0 })
                m.Diag.Add(dropNode, m.PathOf("drop"), "the list of drop modes is empty");
            else if (items is not null)
                drops = items.Select(i => NodeReader.Choice<DropMode>(i.Node, i.Path, m.Diag) ?? DropMode.Reset).ToList();
        }
        var spec = new FlappingSpec
        {
            // An up time of zero would drop connections in a tight loop.
            Up = m.Range("up", minMustBePositive: true) ?? defaults.Up,
            Down = m.Range("down") ?? defaults.Down,
            Drops = drops is List<DropMode> list ? list.AsReadOnly() : drops,
            Cycles = m.Int("cycles", 0, int.MaxValue) ?? defaults.Cycles,
        };
        m.ReportUnknownKeys();
        return spec;
    }

    private static ZombieSpec? ReadZombie(MapReader m, (TimeSpan Duration, TimeSpan RampUp)? run, ScenarioVocabulary vocab)
    {
        var d = m.Diag;
        var kind = m.Require("kind", $"a zombie kind: {Suggest.List(vocab.ZombieKinds)}") is { } kn
            ? NodeReader.Name(kn, m.PathOf("kind"), d, vocab.ZombieKinds, "zombie kind")
            : null;
        var observeFor = m.Duration("observeFor", mustBePositive: true) ?? TimeSpan.FromSeconds(30);
        var expect = m.Duration("expectDetectWithin", mustBePositive: true);
        if (expect > observeFor)
            d.Add(m.Get("expectDetectWithin")!, m.PathOf("expectDetectWithin"),
                $"expectDetectWithin ({Units.FormatDuration(expect.Value)}) is longer than observeFor ({Units.FormatDuration(observeFor)}), so it could never be confirmed");
        var readRate = m.Long("readBytesPerSecond", 1, long.MaxValue);
        if (readRate is not null && kind is not null && kind != "slow-reader")
            d.Add(m.KeyNode("readBytesPerSecond")!, m.PathOf("readBytesPerSecond"), $"readBytesPerSecond applies only to kind slow-reader (this kind is {Excerpt.Quote(kind)})");
        var spec = new ZombieSpec
        {
            Kind = kind ?? "",
            After = m.Duration("after") ?? TimeSpan.FromSeconds(5),
            ObserveFor = observeFor,
            ExpectDetectWithin = expect,
            ReadBytesPerSecond = readRate,
        };
        m.ReportUnknownKeys();
        if (run is { } r)
            WarnUnwatchable(m, spec, r.Duration, r.RampUp);
        return kind is null ? null : spec;
    }

    /// <summary>
    /// A zombie is watched for observeFor from after its connection opened; a client starts up to rampUp
    /// late, and the run stops at duration. A watch that cannot fit ends as zombies_unobserved, not a verdict.
    /// </summary>
    private static void WarnUnwatchable(MapReader m, ZombieSpec spec, TimeSpan duration, TimeSpan rampUp)
    {
        var watch = spec.After + spec.ObserveFor;
        var room = duration - rampUp;
        if (watch <= room)
            return;
        var key = m.KeyNode("observeFor") is not null ? "observeFor" : m.KeyNode("after") is not null ? "after" : null;
        var run = rampUp > TimeSpan.Zero
            ? $"the {Units.FormatDuration(room)} a client starting at the end of rampUp has (duration {Units.FormatDuration(duration)} - rampUp {Units.FormatDuration(rampUp)})"
            : $"the run (duration {Units.FormatDuration(duration)})";
        m.Diag.Warn(key is null ? m.Node : m.KeyNode(key)!, key is null ? m.Path : m.PathOf(key),
            $"after ({Units.FormatDuration(spec.After)}) + observeFor ({Units.FormatDuration(spec.ObserveFor)}) = {Units.FormatDuration(watch)} is longer than {run}: "
            + "zombies the run's end cuts off are counted zombies_unobserved, not watched to a verdict");
    }

    private static SwitchingSpec ReadSwitching(MapReader m, ScenarioVocabulary vocab)
    {
        var d = m.Diag;
        var natRebinding = m.Bool("natRebinding") ?? false;
        var interfaces = new List<string>();
        const string form = "a list of link profiles like [wifi-good, 4g]";
        var node = m.Get("interfaces");
        if (node is not null && NodeReader.Items(node, m.PathOf("interfaces"), d, form) is { } items)
        {
            foreach (var (itemNode, itemPath) in items)
            {
                if (NodeReader.Name(itemNode, itemPath, d, vocab.LinkProfiles, "link profile") is { } p)
                    interfaces.Add(p);
            }
            if (items.Count == 0 && !natRebinding)
                d.Add(node, m.PathOf("interfaces"), $"expected {form}, got an empty list");
        }
        else if (node is null && !natRebinding)
        {
            // Switching needs somewhere to switch to, unless it only rebinds the source port.
            d.Add(m.Node, m.PathOf("interfaces"), $"missing required key 'interfaces' ({form}; or natRebinding: true)");
        }
        var spec = new SwitchingSpec
        {
            Interfaces = interfaces.AsReadOnly(),
            Every = m.Range("every", minMustBePositive: true) ?? new SwitchingSpec().Every,
            Mode = m.Choice<SwitchMode>("mode") ?? SwitchMode.BreakBeforeMake,
            Gap = m.Duration("gap") ?? TimeSpan.Zero,
            OldPath = m.Choice<OldPathFate>("oldPath") ?? OldPathFate.Blackhole,
            NatRebinding = natRebinding,
        };
        m.ReportUnknownKeys();
        // NAT rebinding always reconnects break-before-make; make-before-break never waits a gap.
        if (spec.NatRebinding && spec.Mode == SwitchMode.MakeBeforeBreak && m.KeyNode("mode") is { } modeKey)
            d.Warn(modeKey, m.PathOf("mode"), "ignored: with natRebinding: true the client always switches break-before-make (the old port dies, then it reconnects from a new one)");
        else if (spec.Mode == SwitchMode.MakeBeforeBreak && m.KeyNode("gap") is { } gapKey)
            d.Warn(gapKey, m.PathOf("gap"), "ignored: make-before-break opens the new path before the old one dies, so there is no gap; gap applies to break-before-make");
        return spec;
    }

    /// <summary>
    /// The cases to run: <c>all</c> is every case for any server plus the protocol's own (S for socketio, G for
    /// graphql-ws); a listed protocol case needs its protocol.
    /// </summary>
    private static MalformedSpec ReadMalformed(MapReader m, ScenarioVocabulary vocab, ProtocolKind protocol)
    {
        var d = m.Diag;
        var cases = new List<string>();
        const string form = "all, or a list of case ids like [F01, F11]";
        if (m.Require("cases", form) is { } node)
        {
            if (node is YScalar { Value: "all" })
                cases.AddRange(vocab.MalformedCases.Where(id => vocab.CaseApplies(id, protocol)).Order(StringComparer.Ordinal));
            else if (NodeReader.Items(node, m.PathOf("cases"), d, form) is { } items)
            {
                if (items.Count == 0)
                    d.Add(node, m.PathOf("cases"), $"expected {form}, got an empty list");
                foreach (var (itemNode, itemPath) in items)
                {
                    if (NodeReader.Name(itemNode, itemPath, d, vocab.MalformedCases, "case id") is not { } id)
                        continue;
                    if (!vocab.CaseApplies(id, protocol))
                        d.Add(itemNode, itemPath, $"case {id} breaks the messages of protocol {vocab.ProtocolCases[id].Spelled()}, and the protocol is {protocol.Spelled()}");
                    else if (cases.Contains(id))
                        d.Add(itemNode, itemPath, $"case {id} is listed twice");
                    else
                        cases.Add(id);
                }
            }
        }
        var spec = new MalformedSpec
        {
            Cases = cases.AsReadOnly(),
            CanaryShare = m.Get("canaryShare") is { } cn ? ReadCanaryShare(cn, m.PathOf("canaryShare"), d) ?? 0.2 : 0.2,
        };
        m.ReportUnknownKeys();
        return spec;
    }

    /// <summary><c>20%</c> or <c>0.2</c>; below 100%, since some clients must send the malformed input.</summary>
    private static double? ReadCanaryShare(YNode node, string path, Diagnostics d)
    {
        const string form = "a share like 20% (or 0.2), from 0% up to but not including 100%";
        if (NodeReader.Scalar(node, path, d, form) is not { } s)
            return null;
        decimal value;
        if (!Units.TryParsePercent(s.Value, out value, out _)
            && !Numbers.TryParseDecimal(s.Value.Trim(), allowSign: false, out value))
        {
            d.Add(node, path, $"expected {form}, got {Excerpt.Quote(s.Value)}");
            return null;
        }
        if (value is < 0m or >= 1m)
        {
            d.Add(node, path, $"must be from 0% up to but not including 100%, got {Excerpt.Quote(s.Value)}");
            return null;
        }
        return (double)value;
    }
}
