using Spectre.Console;

namespace SimCluster.Cli.Output;

/// <summary>
/// The console the commands print to. On a terminal, Spectre's own (its width, colours, the live table).
/// Redirected (CI logs, pipes, files) nothing is wrapped: Spectre would break lines at 80 columns, splitting
/// `verdict: FAIL   report: PATH` and metric values over lines that grep no longer finds.
/// </summary>
public static class StdoutConsole
{
    /// <summary>Wide enough that no line a run prints is ever broken (a path is at most 4,096 characters).</summary>
    public const int UnwrappedWidth = 16_384;

    public static IAnsiConsole Create() => Console.IsOutputRedirected ? Unwrapped(Console.Out) : AnsiConsole.Console;

    /// <summary>A console writing to <paramref name="output"/> without colours, cursor moves or wrapping.</summary>
    public static IAnsiConsole Unwrapped(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = UnwrappedWidth;
        return console;
    }
}
