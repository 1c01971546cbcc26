using System.Text;
using SimCluster.Scenarios;

namespace SimCluster.Tests.Hostile;

/// <summary>
/// Issue 23, hostile scenario input, in process (no server): every number goes through one ASCII-only,
/// range-checked parser; nesting depth and size are bounded before anything recurses or buffers; errors
/// quote a short excerpt; validation stays linear. Each case ends in errors with a position, never an
/// exception. The deepest inputs, which overflowed the stack and killed the process, run as real processes
/// in <see cref="HostileCliTests"/>.
/// </summary>
[Trait("Category", "Unit")]
public sealed class HostileScenarioTests
{
    private const string Source = "hostile.yaml";

    private static string Scenario(string extra, string duration = "5s", string clients = "10") =>
        $"name: hostile\ntarget: ws://127.0.0.1:1/ws\nclients: {clients}\nduration: {duration}\n{extra}\n";

    private static IReadOnlyList<ScenarioError> Errors(string yaml, params string[] sets)
    {
        var result = ScenarioLoader.Parse(yaml, Source, sets);
        Assert.False(result.Ok, $"accepted:\n{(yaml.Length > 300 ? yaml[..300] : yaml)}");
        Assert.NotEmpty(result.Errors);
        return result.Errors;
    }

    public static TheoryData<string, string, string> UnicodeDigits => new()
    {
        // Arabic-Indic, Devanagari and full-width digits: char.IsDigit and the regex \d take them all.
        { Scenario("", duration: "٣s"), "duration", "expected a duration" },
        { Scenario("", clients: "٣"), "clients", "expected a whole number" },
        { Scenario("population:\n  - { name: a, share: ٥٠% }\n  - { name: b, share: 50% }"), "population[0].share", "expected a percentage" },
        { Scenario("network: { bandwidthDown: ٣Mbps }"), "network.bandwidthDown", "expected a bandwidth" },
        { Scenario("reconnect: { base: १००ms }"), "reconnect.base", "expected a duration" },
        { Scenario("messages: { size: １２８ }"), "messages.size", "expected a whole number" },
        { Scenario("population:\n  - { name: f, behavior: flapping, flapping: { up: ٢s..٥s, down: 1s } }"), "population[0].flapping.up", "expected a duration or a range" },
        { Scenario("thresholds:\n  recovery_time: [\"p(٩٥)<500\"]"), "thresholds.recovery_time[0]", "" },
    };

    [Theory]
    [MemberData(nameof(UnicodeDigits))]
    public void Unicode_digits_are_an_error_at_their_key_never_an_exception(string yaml, string key, string message)
    {
        var error = Assert.Single(Errors(yaml), e => e.Key == key);
        Assert.Contains(message, error.Message);
        Assert.True(error.Line > 0 && error.Column > 0, error.ToString());
    }

    [Theory]
    [InlineData("duration=٣s", "duration")]
    [InlineData("clients=٣", "clients")]
    [InlineData("messages.interval=٣s", "messages.interval")]
    [InlineData("network.bandwidthUp=٣Mbps", "network.bandwidthUp")]
    [InlineData("population[٠].share=50%", "population[٠].share")]
    public void Unicode_digits_in_set_are_an_error_at_the_override(string set, string key)
    {
        var error = Assert.Single(Errors(Scenario(""), set));
        Assert.Equal("--set", error.Source);
        Assert.Equal(key, error.Key);
    }

    [Theory]
    [InlineData("", "99999999999999999999999999999s", "10", "duration")]
    [InlineData("", "5s", "99999999999999999999999999999", "clients")]
    [InlineData("seed: 99999999999999999999999999999", "5s", "10", "seed")]
    [InlineData("messages: { interval: 0.0000000000000000000000000001s }", "5s", "10", "messages.interval")]
    [InlineData("network: { bandwidthDown: 99999999999999999999999999999Mbps }", "5s", "10", "network.bandwidthDown")]
    [InlineData("network: { loss: 99999999999999999999999999999% }", "5s", "10", "network.loss")]
    [InlineData("population:\n  - { name: a, share: 99999999999999999999999999999.5% }", "5s", "10", "population[0].share")]
    [InlineData("reconnect: { maxAttempts: 99999999999999999999999999999 }", "5s", "10", "reconnect.maxAttempts")]
    [InlineData("thresholds:\n  connects: [\"count>99999999999999999999999999999\"]", "5s", "10", "thresholds.connects[0]")]
    public void Numbers_too_large_for_any_type_are_an_error_at_their_key(string extra, string duration, string clients, string key)
    {
        var errors = Errors(Scenario(extra, duration, clients));
        Assert.Contains(errors, e => e.Key == key);
    }

    [Fact]
    public void Numbers_too_large_in_set_are_an_error_at_the_override()
    {
        var errors = Errors(Scenario(""), "duration=99999999999999999999999999999s", "clients=99999999999999999999999999999", "population[99999999999999999999].share=1%");
        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Equal("--set", e.Source));
    }

    [Theory]
    [InlineData("map")]
    [InlineData("list")]
    [InlineData("flow-map")]
    [InlineData("flow-list")]
    public void Nesting_deeper_than_the_limit_is_one_error_at_the_first_level_too_deep(string shape)
    {
        const int depth = 1_000; // block shapes indent every level: 1,000 levels are ~1 MB, under the size limit
        var nested = Nest(shape, depth);
        var errors = Errors(Scenario("") + "deep: " + nested);
        var error = Assert.Single(errors);
        Assert.Contains($"nested more than {ScenarioLimits.MaxDepth} levels", error.Message);
        Assert.True(error.Line > 0 && error.Column > 0, error.ToString());
        Assert.True(error.Key.Length < 2_000, $"key path of {error.Key.Length} characters");
    }

    [Fact]
    public void Nesting_within_the_limit_is_read_and_reported_as_an_unknown_key()
    {
        var errors = Errors(Scenario("") + "deep: " + Nest("flow-map", ScenarioLimits.MaxDepth - 2));
        Assert.StartsWith("unknown key 'deep'", Assert.Single(errors).Message);
    }

    /// <summary>The key path was rebuilt at every level: memory grew with the square of the depth (1.2 GB at 20,000).</summary>
    [Fact]
    public void Deep_nesting_costs_memory_in_proportion_to_the_text_not_its_square()
    {
        var yaml = Scenario("") + "deep: " + Nest("flow-list", 5_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        _ = Errors(yaml);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 40L * 1024 * 1024, $"{allocated / 1_048_576.0:F1} MB allocated for a {yaml.Length / 1024} KB scenario");
    }

    internal static string Nest(string shape, int depth)
    {
        var text = new StringBuilder();
        switch (shape)
        {
            case "map":
                for (var i = 0; i < depth; i++) text.Append('\n').Append(' ', 2 * (i + 1)).Append("a:");
                text.Append(" 1\n");
                break;
            case "list":
                for (var i = 0; i < depth; i++) text.Append('\n').Append(' ', 2 * (i + 1)).Append("- ");
                text.Append("1\n");
                break;
            case "flow-map":
                for (var i = 0; i < depth; i++) text.Append("{a: ");
                text.Append('1').Append('}', depth).Append('\n');
                break;
            default:
                text.Append('[', depth).Append('1').Append(']', depth).Append('\n');
                break;
        }
        return text.ToString();
    }

    [Fact]
    public async Task A_hundred_thousand_unknown_keys_are_each_reported_in_linear_time()
    {
        var yaml = new StringBuilder(Scenario(""));
        for (var i = 0; i < 100_000; i++) yaml.Append("k").Append(i).Append(": 1\n");
        Assert.True(yaml.Length < ScenarioLimits.MaxBytes);

        // A hang guard only (today: minutes); the work is linear, so this passes on a busy machine.
        var errors = await Task.Run(() => ScenarioLoader.Parse(yaml.ToString(), Source).Errors).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(100_000, errors.Count);
        Assert.All(errors.Take(100), e => Assert.StartsWith("unknown key 'k", e.Message));
        Assert.Equal(100_000, errors.Select(e => e.Line).Distinct().Count());
    }

    [Fact]
    public async Task A_hundred_thousand_unknown_keys_under_a_nested_key_are_reported_in_linear_time_too()
    {
        var yaml = new StringBuilder(Scenario("messages:"));
        for (var i = 0; i < 100_000; i++) yaml.Append("  m").Append(i).Append(": 1\n");
        var errors = await Task.Run(() => ScenarioLoader.Parse(yaml.ToString(), Source).Errors).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(100_000, errors.Count);
        Assert.All(errors.Take(100), e => Assert.StartsWith("messages.m", e.Key));
    }

    [Theory]
    [InlineData("duration")]
    [InlineData("clients")]
    [InlineData("name")]
    [InlineData("target")]
    [InlineData("protocol")]
    [InlineData("network.bandwidthDown")]
    [InlineData("unknown")]
    public void Errors_quote_a_short_excerpt_of_a_huge_value(string key)
    {
        var huge = "9" + new string('X', 200_000);
        var yaml = key switch
        {
            "duration" => Scenario("", duration: huge),
            "clients" => Scenario("", clients: huge),
            "name" => Scenario("").Replace("name: hostile", $"name: {huge}", StringComparison.Ordinal),
            "target" => Scenario("").Replace("target: ws://127.0.0.1:1/ws", $"target: {huge}", StringComparison.Ordinal),
            "protocol" => Scenario($"protocol: {huge}"),
            "unknown" => Scenario($"{huge}: 1"),
            _ => Scenario($"network: {{ bandwidthDown: {huge} }}"),
        };
        var errors = Errors(yaml);
        Assert.All(errors, e => Assert.True(e.ToString().Length < 600, $"{e.ToString().Length} characters"));
    }

    [Fact]
    public void A_huge_key_is_shortened_in_every_key_path_under_it()
    {
        var key = new string('k', 100_000);
        var yaml = new StringBuilder(Scenario($"{key}:"));
        for (var i = 0; i < 1_000; i++) yaml.Append("  m").Append(i).Append(": 1\n");
        var errors = Errors(yaml.ToString());
        Assert.All(errors, e => Assert.True(e.Key.Length <= 100 && e.Message.Length < 600, $"key path {e.Key.Length}, message {e.Message.Length} characters"));
    }

    [Fact]
    public async Task Endless_input_is_refused_after_the_size_limit_without_reading_on()
    {
        var result = await Task.Run(() => ScenarioLoader.LoadFile("/dev/zero")).WaitAsync(TimeSpan.FromSeconds(60));
        var error = Assert.Single(result.Errors);
        Assert.Equal("/dev/zero", error.Source);
        Assert.Contains($"larger than the limit of {ScenarioLimits.MaxBytes / (1024 * 1024)} MiB", error.Message);
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_before_it_is_parsed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"simcluster-huge-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(path, Scenario("") + "# " + new string('x', ScenarioLimits.MaxBytes) + "\n");
            var error = Assert.Single(ScenarioLoader.LoadFile(path).Errors);
            Assert.Contains("larger than the limit", error.Message);
            Assert.Contains("larger than the limit", Assert.Single(ScenarioLoader.Parse(File.ReadAllText(path), Source).Errors).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_alias_inside_the_node_it_names_is_an_error_not_a_cycle()
    {
        var error = Assert.Single(Errors(Scenario("population: &p [*p]")));
        Assert.Contains("refers to a mapping or list that contains it", error.Message);
    }
}
