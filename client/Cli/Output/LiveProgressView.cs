using SimCluster.Abstractions.Runs;
using Spectre.Console;

namespace SimCluster.Cli.Output;

/// <summary>A live-updating table with a progress bar, redrawn in place on a terminal.</summary>
public sealed class LiveProgressView(IAnsiConsole console, string scenario, double durationSeconds, double rampUpSeconds = 0) : IProgressView
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
        var time = $"{Bar(p.ElapsedSeconds, durationSeconds)} {p.ElapsedSeconds:F0}/{durationSeconds:F0}s";
        if (rampUpSeconds > 0 && p.ElapsedSeconds < rampUpSeconds)
        {
            // Clients start at rampUp * i / n: how many are due so far.
            var due = (int)Math.Min(p.Planned, Math.Ceiling(p.Planned * p.ElapsedSeconds / rampUpSeconds));
            time += $"\nramp-up {Bar(p.ElapsedSeconds, rampUpSeconds)} {due}/{p.Planned} started";
        }
        table.AddRow(
            p.Phase.ToString().ToLowerInvariant(),
            time,
            $"{p.Open}/{p.Planned}",
            p.Connects.ToString(),
            $"{p.ForcedDrops} / {p.Reconnects}",
            p.MessagesPerSecond.ToString("F0"),
            $"{p.RttP95Ms:F2} ms",
            p.MessagesLost == 0 ? "0" : $"[red]{p.MessagesLost}[/]",
            p.ConnectFailures == 0 ? "0" : $"[red]{p.ConnectFailures}[/]");
        var caption = new List<string>();
        if (p.Cases.Length > 0) caption.Add($"malformed cases: {Markup.Escape(ProgressFormat.Cases(p))}");
        if (p.Message is not null) caption.Add(Markup.Escape(p.Message));
        if (caption.Count > 0) table.Caption(string.Join("\n", caption));
        return table;
    }

    private static string Bar(double done, double total)
    {
        var filled = total <= 0 ? 20 : (int)(Math.Clamp(done / total, 0, 1) * 20);
        return new string('█', filled) + new string('░', 20 - filled);
    }
}
