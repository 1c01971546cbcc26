using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Output;
using Spectre.Console;

namespace SimCluster.Tests.Cli;

/// <summary>The live table on a terminal: fits the width, keeps its width over a run, has the scenario's own columns.</summary>
[Trait("Category", "Unit")]
public sealed class LiveProgressViewTests
{
    private static readonly ScenarioFeatures Everything = new()
    {
        Messages = true, Flapping = true, Zombies = true, Switching = true, Malformed = true, Session = true, Tokens = true, Heartbeat = true,
    };

    private static (IAnsiConsole Console, StringWriter Output) Terminal(int width)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        console.Profile.Width = width;
        return (console, output);
    }

    private static RunProgress At(double t, int planned, long scale) => new()
    {
        Phase = RunPhase.Running,
        ElapsedSeconds = t,
        Planned = planned,
        Open = planned,
        Connects = planned * scale,
        ForcedDrops = planned * scale / 2,
        Reconnects = planned * scale / 2,
        MessagesPerSecond = planned * 1.5,
        RttP95Ms = 123.45,
        MessagesLost = scale,
        ConnectFailures = scale,
        ZombiesEvicted = planned,
        TokenRefreshes = planned * scale,
        Attacks = planned * scale,
        CasesPassed = 20,
        CasesFailed = 3,
        CasesPending = 10,
    };

    private static string[] Lines(IAnsiConsole console, StringWriter output, LiveProgressView view, RunProgress? p)
    {
        output.GetStringBuilder().Clear();
        console.Write(view.Render(p));
        return output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
    }

    [Theory]
    [InlineData(80, 1000)]
    [InlineData(80, 100000)]
    [InlineData(120, 1000)]
    [InlineData(200, 100000)]
    public void Every_line_fits_the_terminal_and_the_table_keeps_its_width(int width, int planned)
    {
        var (console, output) = Terminal(width);
        var view = new LiveProgressView(console, "flapping", 100, 10, Everything, planned);

        var widths = new HashSet<int>();
        foreach (var (t, scale) in new[] { (1.0, 1L), (5.0, 10L), (30.0, 100L), (99.0, 999L) })
        {
            var lines = Lines(console, output, view, At(t, planned, scale));
            Assert.All(lines, l => Assert.True(l.Length <= width, $"{l.Length} > {width}: '{l}'"));
            Assert.True(lines.Length <= 10, string.Join("\n", lines)); // with room for the summary on a 24-line terminal

            widths.Add(lines.Where(l => l.StartsWith('╭')).Select(l => l.Length).Single());
        }
        Assert.Single(widths);
    }

    [Fact]
    public void The_columns_are_the_scenarios_own()
    {
        var (console, output) = Terminal(200);
        var steady = string.Join("\n", Lines(console, output, new LiveProgressView(console, "s", 30, 0, new ScenarioFeatures { Messages = true }, 100), At(5, 100, 1)));
        Assert.Contains("open", steady);
        Assert.Contains("rtt p95", steady);
        Assert.DoesNotContain("evicted", steady);
        Assert.DoesNotContain("refreshes", steady);
        Assert.DoesNotContain("cases", steady);
        Assert.DoesNotContain("drops", steady);

        var all = string.Join("\n", Lines(console, output, new LiveProgressView(console, "s", 30, 0, Everything, 100), At(5, 100, 1)));
        foreach (var header in new[] { "evicted", "refreshes", "cases ok/bad/wait", "drops", "reconn", "attacks" }) Assert.Contains(header, all);
        Assert.Contains("20/3/10", all);
    }

    [Fact]
    public void A_flapping_run_of_a_thousand_clients_shows_every_column_at_80_columns()
    {
        var (console, output) = Terminal(80);
        var flapping = new ScenarioFeatures { Messages = true, Flapping = true };
        var lines = Lines(console, output, new LiveProgressView(console, "flapping", 100, 10, flapping, 1000), At(50, 1000, 20));
        var header = lines.Single(l => l.Contains("connects"));
        foreach (var column in new[] { "open", "connects", "drops", "reconn", "msg/s", "rtt p95", "lost", "errors" }) Assert.Contains(column, header);
        Assert.All(lines, l => Assert.True(l.Length <= 80, l));
    }

    [Fact]
    public void Columns_without_room_are_listed_under_the_table_not_dropped()
    {
        var (console, output) = Terminal(40);
        var lines = Lines(console, output, new LiveProgressView(console, "t", 30, 0, Everything, 1000), At(5, 1000, 7));
        var text = string.Join("\n", lines);
        Assert.All(lines, l => Assert.True(l.Length <= 40, l));
        foreach (var header in new[] { "open", "connects", "drops", "reconn", "msg/s", "rtt p95", "lost", "errors", "evicted", "refreshes", "attacks" })
            Assert.Contains(header, text);
    }
}
