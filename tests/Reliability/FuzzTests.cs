using System.Text;
using SimCluster.Cli;
using SimCluster.Cli.Runs;
using SimCluster.Scenarios;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Reliability;

/// <summary>
/// Runs <paramref name="check"/> on a fixed number of seeded random inputs: the same cases on any machine, however
/// busy (a time budget would make a slow machine test fewer). A thrown exception is a failure like any other (reported with the case number and its input), so the
/// caller asserts that the list is empty. Same seed, same cases.
/// </summary>
internal static class Fuzz
{
    public sealed record Outcome(int Cases, List<string> Failures)
    {
        /// <summary>Logs the count and fails with the first failures.</summary>
        public void AssertClean(Xunit.Abstractions.ITestOutputHelper output, string what, string? detail = null)
        {
            output.WriteLine($"{Cases} {what}, {Failures.Count} failures{(detail is null ? "" : $": {detail}")}");
            Assert.True(Failures.Count == 0, $"{Failures.Count} of {Cases} cases failed:\n{string.Join("\n\n", Failures.Take(5))}");
        }
    }

    public static Outcome Run<T>(int seed, int count, Func<Random, T> generate, Func<T, string?> check, Func<T, string> show)
    {
        var random = new Random(seed);
        var failures = new List<string>();
        var cases = 0;
        for (; cases < count; cases++)
        {
            var input = generate(random);
            string? problem;
            try { problem = check(input); }
            catch (Exception e) { problem = $"unhandled {e.GetType().Name}: {e.Message}\n{e.StackTrace}"; }
            if (problem is not null && failures.Count < 10) failures.Add($"case {cases} (seed {seed}): {problem}\n--- input\n{show(input)}");
            else if (problem is not null) failures.Add($"case {cases}");
        }
        return new Outcome(cases, failures);
    }
}

/// <summary>
/// Issue 10, bad input: the shipped scenarios mutated at random (byte flips, line deletions and
/// duplications, value swaps, type changes, truncation) never crash the validator, and every error names
/// file, line, column and key; command lines built from random option combinations never crash the parser,
/// and invalid ones exit 104. In process, seeded, bounded in count and time.
/// </summary>
[Collection(IntegrationCollection.Name)] // redirects Console while it runs
public sealed class FuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string FuzzName = "fuzz.yaml";

    private static readonly string[] Shipped = [.. Directory.GetFiles(Path.Combine(Simcluster.RepoRoot, "scenarios"), "*.yaml").Order()];

    private static readonly string[] Oddities =
    [
        "", "~", "null", "[]", "{}", "[", "{", "\"", "'", "-1", "0", "2147483648", "99999999999999999999999", "1e308", "-1e308", ".nan", "NaN",
        "true", "no", "0s", "-5s", "1ms", "99999h", "1..", "..", "5s..1s", "2s..5s..7s", "150%", "-20%", "0%", "%", "embedded", "ws://",
        "ws://10.1.2.3:80/ws", "wss://example.com/ws", "http://127.0.0.1/", "ws://[::1]:1/ws", "ws://127.0.0.1:99999/ws", "&a x", "*a", "!!binary AAAA",
        "!!int x", "|", ">", "- a", "a: b", "x\ty", "é", "\u0000", "\u202e", "#", "@", "`", new string('x', 5000), "[1, [2, [3]]]", "{a: {b: {c: d}}}",
        "count==0", "p(95)<", "p(999)<1", "\"count==0\"", "[\"p(95)<500\"]", "steady", "zombie", "malformed", "all", "[F01, F99]",
        // Issue 23: Unicode digits (Arabic-Indic, Devanagari, full-width) and numbers too large for any type.
        "٣", "٣s", "٥٠%", "٣Mbps", "१००ms", "１２８", "٢s..٥s", "99999999999999999999999999999", "99999999999999999999999999999s",
        "99999999999999999999999999999%", "99999999999999999999999999999Mbps", "0.0000000000000000000000000001s", "1e999s",
    ];

    private static readonly char[] Bytes = [':', '-', '[', ']', '{', '}', ',', '"', '\'', '#', '\t', ' ', '\n', '&', '*', '!', '|', '>', '%', '@', '`', '?', '\\', '\0', 'é', '9', '.', '=', '<'];

    private static string Mutate(Random r, string text)
    {
        var mutations = r.Next(1, 4);
        for (var m = 0; m < mutations; m++)
        {
            var lines = text.Split('\n').ToList();
            var i = r.Next(lines.Count);
            switch (r.Next(8))
            {
                case 0 when text.Length > 0: // byte flip
                    var at = r.Next(text.Length);
                    text = text[..at] + Bytes[r.Next(Bytes.Length)] + text[(at + 1)..];
                    continue;
                case 1: lines.RemoveAt(i); break;
                case 2: lines.Insert(i, lines[i]); break;
                case 3: // swap two values
                    var j = r.Next(lines.Count);
                    var (ci, cj) = (lines[i].IndexOf(": ", StringComparison.Ordinal), lines[j].IndexOf(": ", StringComparison.Ordinal));
                    if (ci > 0 && cj > 0) (lines[i], lines[j]) = (lines[i][..(ci + 2)] + lines[j][(cj + 2)..], lines[j][..(cj + 2)] + lines[i][(ci + 2)..]);
                    break;
                case 4: // type change: a value (or a flow item) becomes something odd
                    var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                    if (colon > 0) lines[i] = lines[i][..(colon + 2)] + Oddities[r.Next(Oddities.Length)];
                    else lines[i] += Oddities[r.Next(Oddities.Length)];
                    break;
                case 5: // indentation
                    lines[i] = r.Next(2) == 0 ? "  " + lines[i] : lines[i].TrimStart();
                    break;
                case 6 when text.Length > 0: // truncation
                    text = text[..r.Next(text.Length)];
                    continue;
                default: // a key renamed or an odd key added
                    lines.Insert(i, r.Next(2) == 0 ? $"{Oddities[r.Next(Oddities.Length)]}: 1" : "unknownKey: 5");
                    break;
            }
            text = string.Join('\n', lines);
        }
        return text;
    }

    /// <summary>Null when the outcome is acceptable: a valid scenario that plans, or errors that each point somewhere.</summary>
    private static string? CheckScenario(string yaml, IReadOnlyList<string>? sets = null)
    {
        var lineCount = yaml.Split('\n').Length;
        var result = ScenarioLoader.Parse(yaml, FuzzName, sets, ScenarioVocabulary.Default);
        if (result.Ok)
        {
            var scenario = result.Scenario!;
            // What `run` does next with a valid scenario must not crash either.
            _ = TargetGuard.Check(scenario.Target.Urls, scenario.AllowTargets);
            _ = PlanBuilder.Build(scenario, "fuzz", scenario.Seed ?? 1, [new Uri("ws://127.0.0.1:1/ws")]);
            return null;
        }
        if (result.Errors.Count == 0) return "invalid but no error";
        foreach (var e in result.Errors)
        {
            if (e.Source != FuzzName) return $"error without the file name: {e}";
            if (e.Line < 1 || e.Column < 1) return $"error without a line and column: {e}";
            if (sets is null && e.Line > lineCount + 1) return $"error past the end of the file ({lineCount} lines): {e}";
            if (string.IsNullOrWhiteSpace(e.Key)) return $"error without a key: {e}";
            if (string.IsNullOrWhiteSpace(e.Message)) return $"error without a message: {e}";
        }
        return null;
    }

    [Fact]
    public void Mutated_shipped_scenarios_never_crash_the_validator_and_every_error_points_at_file_line_column_and_key()
    {
        var texts = Shipped.Select(File.ReadAllText).ToArray();
        Assert.NotEmpty(texts);
        Assert.All(texts, t => Assert.Null(CheckScenario(t))); // the originals are valid

        var outcome = Fuzz.Run(seed: 10, count: 2000,
            r => Mutate(r, texts[r.Next(texts.Length)]), yaml => CheckScenario(yaml), yaml => yaml);

        outcome.AssertClean(output, "mutated scenarios");
    }

    [Fact]
    public void The_harness_reports_a_crash_as_a_failure()
    {
        // The check itself throws on some inputs: the harness must count those, or the fuzz tests prove nothing.
        var outcome = Fuzz.Run(seed: 1, count: 200,
            r => r.Next(10), n => n == 3 ? throw new InvalidOperationException("boom") : null, n => n.ToString());
        Assert.NotEmpty(outcome.Failures);
        Assert.Contains("unhandled InvalidOperationException: boom", outcome.Failures[0]);

        // And a scenario check that wrongly accepts everything would still be caught by a crashing parser:
        var crashing = Fuzz.Run(seed: 1, count: 10,
            _ => "name: x", _ => CheckScenario(null!), s => s);
        Assert.Equal(10, crashing.Failures.Count);
    }

    private static readonly string[] NumericKeys =
    [
        "clients", "duration", "rampUp", "seed", "messages.interval", "messages.size", "messages.lossTimeout", "heartbeat.interval",
        "network.latency", "network.bandwidthDown", "network.bandwidthUp", "network.loss", "reconnect.base", "reconnect.max",
        "reconnect.maxAttempts", "population[0].share", "population[0].flapping.up", "population[0].flapping.cycles",
    ];

    private static readonly string[] HostileNumbers =
        ["٣", "٣s", "٥٠%", "٣Mbps", "१००ms", "１２８", "٢s..٥s", "99999999999999999999999999999", "99999999999999999999999999999s", "99999999999999999999999999999%", "99999999999999999999999999999Mbps"];

    /// <summary>One hostile shape: its kind, what it is, scenario text (null: read <see cref="File"/>) and --set overrides.</summary>
    private sealed record Shape(string Kind, string What, string? Text, string? File, string[] Sets);

    private const string Base = "name: shape\ntarget: ws://127.0.0.1:1/ws\nclients: 5\nduration: 2s\npopulation:\n  - { name: a, behavior: flapping, flapping: { up: 1s, down: 1s } }\n";

    private static Shape HostileShape(Random r)
    {
        string Deep(bool map, int depth, bool flow) => flow
            ? map ? string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth) : new string('[', depth) + "1" + new string(']', depth)
            : string.Concat(Enumerable.Range(1, depth).Select(i => "\n" + new string(' ', 2 * i) + (map ? "a:" : "- "))) + " 1";
        var depths = new[] { 2, 100, ScenarioLimits.MaxDepth - 3, ScenarioLimits.MaxDepth + 1, 1_000, 20_000, 100_000 };
        switch (r.Next(6))
        {
            case 0: // Unicode digits or a huge number in a numeric key, in the file or by --set
                var key = NumericKeys[r.Next(NumericKeys.Length)];
                var value = HostileNumbers[r.Next(HostileNumbers.Length)];
                return new Shape("numbers", $"{key}={value}", Base, null, [$"{key}={value}"]);
            case 1: // deep nesting of mappings or lists, block or flow, under a known key or an unknown one
                var map = r.Next(2) == 0;
                var flow = r.Next(3) > 0;
                var depth = depths[r.Next(flow ? depths.Length : 5)]; // block nesting indents every level: 1,000 levels are 1 MB
                var under = new[] { "clients", "population", "network", "thresholds", "deep" }[r.Next(5)];
                var text = under == "clients" ? Base.Replace("clients: 5", $"clients: {Deep(map, depth, flow)}", StringComparison.Ordinal) : Base + $"{under}: {Deep(map, depth, flow)}\n";
                return new Shape("nesting", $"{(flow ? "flow" : "block")} {(map ? "maps" : "lists")} {depth} deep under {under}", text, null, []);
            case 2: // deep nesting in a --set value
                var setDepth = depths[r.Next(depths.Length)];
                return new Shape("set-nesting", $"--set network={setDepth} deep", Base, null, [$"network={Deep(r.Next(2) == 0, setDepth, flow: true)}"]);
            case 3: // many keys, unknown or duplicated, at the root or nested
                var count = new[] { 1_000, 10_000, 100_000 }[r.Next(3)];
                var nested = r.Next(2) == 0;
                var duplicate = r.Next(3) == 0;
                var keys = new StringBuilder(Base).Append(nested ? "messages:\n" : "");
                for (var i = 0; i < count; i++) keys.Append(nested ? "  " : "").Append('k').Append(duplicate ? i % 10 : i).Append(": 1\n");
                return new Shape("keys", $"{count} {(duplicate ? "duplicate" : "unknown")} keys{(nested ? " under messages" : "")}", keys.ToString(), null, []);
            case 4: // endless or oversize input
                return r.Next(2) == 0
                    ? new Shape("endless", "/dev/zero", null, "/dev/zero", [])
                    : new Shape("endless", "a file over the size limit", Base + "# " + new string('x', ScenarioLimits.MaxBytes) + "\n", null, []);
            default: // a huge scalar where a number, a name or a URL goes
                var field = new[] { "clients", "duration", "name", "target" }[r.Next(4)];
                var huge = new string('9', r.Next(1_000, 2_000_000));
                return new Shape("huge-values", $"{huge.Length}-digit {field}", Base.Replace($"{field}: ", $"{field}: {huge}\nx{field}: ", StringComparison.Ordinal), null, []);
        }
    }

    /// <summary>
    /// Issue 23: hostile shapes (Unicode digits, huge numbers, deep nesting of maps and lists, many keys, endless
    /// input) through `validate`, in process: every case exits 104 (or 0 for a valid scenario) within its budget,
    /// never an exception (exit 1), a stack overflow (134, which would take the test host down) or a hang. The
    /// deepest shapes also run as real processes in HostileCliTests.
    /// </summary>
    [Fact]
    public void Hostile_shapes_exit_104_or_validate_within_their_budget_never_crash_or_hang()
    {
        var folder = Simcluster.TempFolder("fuzz-shapes");
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(TextWriter.Null);
        Console.SetError(TextWriter.Null);
        var shapes = new Dictionary<string, int>();
        try
        {
            var outcome = Fuzz.Run(seed: 23, count: 30, HostileShape,
                shape =>
                {
                    var file = shape.File ?? Path.Combine(folder, "shape.yaml");
                    if (shape.Text is not null) System.IO.File.WriteAllText(file, shape.Text);
                    string[] args = ["validate", file, .. shape.Sets.SelectMany(s => new[] { "--set", s })];
                    var run = Task.Run(() => SimClusterCli.Create().RunAsync(args));
                    // A hang guard, generous for a busy machine: a validate answers in well under a second.
                    if (!run.Wait(TimeSpan.FromSeconds(120))) return "no answer within 120 s";
                    lock (shapes) shapes[shape.Kind] = shapes.GetValueOrDefault(shape.Kind) + 1;
                    return run.Result is ExitCodes.InvalidInput or 0 ? null : $"exit {run.Result}";
                },
                shape => shape.What);

            outcome.AssertClean(output, "hostile shapes", string.Join(", ", shapes.Select(p => $"{p.Key} x{p.Value}")));
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    private static readonly string[] SetKeys =
    [
        "clients", "duration", "rampUp", "seed", "target", "protocol", "driver", "messages.interval", "messages.size", "messages.maxReceiveSize",
        "network.profile", "network.latency", "reconnect.policy", "reconnect.max", "population[0].share", "population[0].behavior",
        "population[5].share", "population[-1].name", "population[0].flapping.cycles", "thresholds.connects", "nope", "", "a..b", "[0]", "messages",
    ];

    private static string[] RandomArguments(Random r, string validScenario, string invalidScenario)
    {
        var args = new List<string>();
        var command = r.Next(10) switch { < 5 => "validate", < 9 => "run", _ => Oddities[r.Next(Oddities.Length)] };
        args.Add(command);
        // `run` only ever gets a scenario that no option can make valid (an unknown key): nothing is started.
        if (r.Next(10) > 0) args.Add(command == "validate" && r.Next(2) == 0 ? validScenario : r.Next(5) == 0 ? "/nonexistent/x.yaml" : invalidScenario);
        var options = r.Next(0, 8);
        for (var o = 0; o < options; o++)
        {
            var value = r.Next(3) == 0 ? Oddities[r.Next(Oddities.Length)] : r.Next(-5, 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            switch (r.Next(12))
            {
                case 0: args.AddRange(["--set", $"{SetKeys[r.Next(SetKeys.Length)]}={value}"]); break;
                case 1: args.AddRange(["--clients", value]); break;
                case 2: args.AddRange(["--duration", r.Next(2) == 0 ? value : $"{r.Next(-3, 100)}s"]); break;
                case 3: args.AddRange(["--seed", value]); break;
                case 4: args.AddRange(["--target", r.Next(2) == 0 ? value : "ws://127.0.0.1:1/ws"]); break;
                case 5: args.AddRange(["--cluster", r.Next(2) == 0 ? value : "redis://127.0.0.1:1"]); break;
                case 6: args.AddRange(["--allow-target", value]); break;
                case 7: args.Add("--no-live"); break;
                case 8: args.Add("--" + Oddities[r.Next(Oddities.Length)]); break;
                case 9: args.Add(value); break;
                case 10: args.Add(r.Next(2) == 0 ? "--set" : "--clients"); break; // an option without its value
                default: args.AddRange(["--out", Path.Combine(Path.GetTempPath(), "simcluster-fuzz-never-written")]); break;
            }
        }
        return [.. args];
    }

    [Fact]
    public async Task Random_command_lines_never_crash_and_invalid_ones_exit_104()
    {
        var folder = Simcluster.TempFolder("fuzz");
        var validScenario = Path.Combine(Simcluster.RepoRoot, "scenarios", "smoke.yaml");
        var invalidScenario = Path.Combine(folder, "invalid.yaml");
        await File.WriteAllTextAsync(invalidScenario, "name: x\ntarget: embedded\nclients: 5\nduration: 1s\nunknownKey: 1\n");
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(TextWriter.Null);
        Console.SetError(TextWriter.Null);
        try
        {
            var outcome = Fuzz.Run(seed: 104, count: 600,
                r => RandomArguments(r, validScenario, invalidScenario),
                args =>
                {
                    var code = SimClusterCli.Create().RunAsync(args).WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
                    var isKnownCommand = args[0] is "validate" or "run";
                    if (!isKnownCommand) return code is 0 or ExitCodes.InvalidInput ? null : $"exit {code} for an unknown command";
                    var scenarioValid = args[0] == "validate" && args.Length > 1 && args[1] == validScenario;
                    if (!scenarioValid && code != ExitCodes.InvalidInput) return $"exit {code}, expected 104";
                    return code is 0 or ExitCodes.InvalidInput ? null : $"exit {code}";
                },
                args => string.Join(' ', args.Select(a => $"'{a}'")));

            outcome.AssertClean(output, "command lines");
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }
}
