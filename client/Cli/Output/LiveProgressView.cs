using SimCluster.Abstractions.Runs;
using Spectre.Console;

namespace SimCluster.Cli.Output;

/// <summary>A live-updating table with a progress bar, redrawn in place on a terminal.</summary>
public sealed class LiveProgressView(IAnsiConsole console, string scenario, double durationSeconds) : IProgressView
{
    public async Task RunAsync(Func<Action<RunProgress>, Task> body)
    {
        var table = Render(null);
        await console.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            await body(p =>
            {
                ctx.UpdateTarget(Render(p));
                ctx.Refresh();
            });
        });
    }

    private Table Render(RunProgress? p)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]SimCluster[/] {Markup.Escape(scenario)}");
        table.AddColumn("phase").AddColumn("time").AddColumn("clients open").AddColumn("connects").AddColumn("drops / reconnects")
            .AddColumn("msg/s").AddColumn("RTT p95").AddColumn("lost").AddColumn("errors");
        if (p is null)
        {
            table.AddRow("starting", "", "", "", "", "", "", "", "");
            return table;
        }
        var fraction = durationSeconds <= 0 ? 1 : Math.Clamp(p.ElapsedSeconds / durationSeconds, 0, 1);
        var bar = new string('█', (int)(fraction * 20)) + new string('░', 20 - (int)(fraction * 20));
        table.AddRow(
            p.Phase.ToString().ToLowerInvariant(),
            $"{bar} {p.ElapsedSeconds:F0}/{durationSeconds:F0}s",
            $"{p.Open}/{p.Planned}",
            p.Connects.ToString(),
            $"{p.ForcedDrops} / {p.Reconnects}",
            p.MessagesPerSecond.ToString("F0"),
            $"{p.RttP95Ms:F2} ms",
            p.MessagesLost == 0 ? "0" : $"[red]{p.MessagesLost}[/]",
            p.ConnectFailures == 0 ? "0" : $"[red]{p.ConnectFailures}[/]");
        if (p.Message is not null) table.Caption(Markup.Escape(p.Message));
        return table;
    }
}
