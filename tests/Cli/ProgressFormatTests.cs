using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Output;
using Spectre.Console;

namespace SimCluster.Tests.Cli;

/// <summary>Malformed-case verdicts in the live output: the plain progress line and the live table.</summary>
[Trait("Category", "Unit")]
public sealed class ProgressFormatTests
{
    private static RunProgress WithCases() => new()
    {
        Phase = RunPhase.Running,
        ElapsedSeconds = 5,
        Planned = 10,
        Cases =
        [
            new CaseProgress { Id = "F01", Status = "pass", Passed = 3, Worst = "OK" },
            new CaseProgress { Id = "F05", Status = "fail", Passed = 1, Failed = 2, Worst = "UNCLEAN" },
            new CaseProgress { Id = "A01", Status = "pending" },
        ],
        CasesPassed = 1,
        CasesFailed = 1,
        CasesPending = 1,
    };

    [Fact]
    public void The_plain_line_counts_cases_and_names_the_failing_ones()
    {
        var line = ProgressFormat.Line(WithCases(), 30);
        Assert.EndsWith(" cases=1pass/1fail/1pending [F05:UNCLEAN]", line);
        Assert.DoesNotContain("cases=", ProgressFormat.Line(WithCases() with { Cases = [] }, 30));
    }

    [Fact]
    public async Task The_live_table_shows_them_under_it()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        await new LiveProgressView(console, "t", 30).RunAsync(show =>
        {
            show(WithCases());
            return Task.CompletedTask;
        });
        Assert.Contains("malformed cases: 1pass/1fail/1pending [F05:UNCLEAN]", output.ToString());
    }
}
