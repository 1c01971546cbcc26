using SimCluster.Abstractions.Runs;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SimCluster.Cli.Output;

/// <summary>
/// A live-updating table redrawn in place on a terminal: a status line (phase, time bar, ramp-up), one column
/// per figure the scenario produces (zombies evicted, token refreshes, malformed case verdicts only when it has
/// them), and under it what the table had no room for. Columns get a fixed width from the run's size when the
/// view starts, so the table does not jump as numbers grow; on a narrow terminal the least important columns
/// move to the line under the table rather than wrapping it (readable at 80x24).
/// </summary>
public sealed class LiveProgressView : IProgressView
{
    private readonly IAnsiConsole _console;
    private readonly string _scenario;
    private readonly double _durationSeconds;
    private readonly double _rampUpSeconds;
    private readonly IReadOnlyList<LiveColumn> _columns;
    private readonly int[] _widths;

    public LiveProgressView(IAnsiConsole console, string scenario, double durationSeconds, double rampUpSeconds = 0,
        ScenarioFeatures? features = null, int plannedClients = 0)
    {
        _console = console;
        _scenario = scenario;
        _durationSeconds = durationSeconds;
        _rampUpSeconds = rampUpSeconds;
        _columns = LiveColumn.For(features ?? new ScenarioFeatures());
        var digits = Math.Max(1, plannedClients).ToString().Length;
        _widths = [.. _columns.Select(c => Math.Max(c.Header.Length, c.Width(digits)))];
    }

    public async Task RunAsync(Func<Action<RunProgress>, Task> body)
    {
        await _console.Live(Render(null)).AutoClear(false).StartAsync(async ctx =>
        {
            await body(p =>
            {
                ctx.UpdateTarget(Render(p));
                ctx.Refresh();
            });
        });
    }

    /// <summary>Table border plus each column's padding and separator, beside its content width.</summary>
    private const int BorderWidth = 1, ColumnOverhead = 3;

    internal IRenderable Render(RunProgress? p)
    {
        var width = Math.Max(40, _console.Profile.Width);
        var values = p is null ? null : _columns.Select(c => c.Value(p)).ToArray();
        if (values is not null)
            for (var i = 0; i < _widths.Length; i++) _widths[i] = Math.Max(_widths[i], values[i].Length); // grow, never shrink

        // The most important columns that fit; the others are listed under the table.
        var shown = new bool[_columns.Count];
        var used = BorderWidth;
        foreach (var i in Enumerable.Range(0, _columns.Count).OrderBy(i => _columns[i].Priority))
        {
            if (used + _widths[i] + ColumnOverhead > width) continue;
            shown[i] = true;
            used += _widths[i] + ColumnOverhead;
        }

        var table = new Table().Border(TableBorder.Rounded);
        for (var i = 0; i < _columns.Count; i++)
            if (shown[i]) table.AddColumn(new TableColumn(_columns[i].Header) { Width = _widths[i], NoWrap = true, Alignment = Justify.Right });
        table.AddRow([.. Enumerable.Range(0, _columns.Count).Where(i => shown[i]).Select(i => Cell(_columns[i], values?[i] ?? ""))]);

        var lines = new List<IRenderable> { new Markup(Markup.Escape(Status(p, width)) ), table };
        var hidden = Enumerable.Range(0, _columns.Count).Where(i => !shown[i] && values is not null).Select(i => $"{_columns[i].Header}: {values![i]}").ToList();
        foreach (var line in Fill(hidden, width - 1)) lines.Add(new Markup(Markup.Escape(line)));
        if (p is not null && p.Cases.Length > 0) lines.Add(new Markup($"malformed cases: {Markup.Escape(ProgressFormat.Cases(p))}"));
        if (p?.Message is not null) lines.Add(new Markup(Markup.Escape(p.Message)));
        return new Rows(lines);
    }

    /// <summary>"name: value" items on as few lines as fit, never one broken over two.</summary>
    private static IEnumerable<string> Fill(IEnumerable<string> items, int width)
    {
        var line = "";
        foreach (var item in items)
        {
            if (line.Length > 0 && line.Length + 2 + item.Length > width)
            {
                yield return line;
                line = "";
            }
            line = line.Length == 0 ? item : $"{line}  {item}";
        }
        if (line.Length > 0) yield return line;
    }

    private static string Cell(LiveColumn column, string value) =>
        column.Alarm && value is not ("" or "0") ? $"[red]{Markup.Escape(value)}[/]" : Markup.Escape(value);

    /// <summary>"SimCluster flapping  running  ████░░░░ 12/100 s  ramp-up ██░░ 480/1000 started", the bars shortened to fit.</summary>
    private string Status(RunProgress? p, int width)
    {
        var head = $"SimCluster {_scenario}  {(p is null ? "starting" : p.Phase.ToString().ToLowerInvariant())}";
        if (p is null) return head;
        var time = $" {p.ElapsedSeconds:F0}/{_durationSeconds:F0} s";
        string? ramp = null;
        if (_rampUpSeconds > 0 && p.ElapsedSeconds < _rampUpSeconds)
        {
            // Clients start at rampUp * i / n: how many are due so far.
            var due = (int)Math.Min(p.Planned, Math.Ceiling(p.Planned * p.ElapsedSeconds / _rampUpSeconds));
            ramp = $" {due}/{p.Planned} started";
        }
        var bars = ramp is null ? 1 : 2;
        var room = width - 1 - head.Length - 2 - time.Length - (ramp is null ? 0 : "  ramp-up ".Length + ramp.Length);
        var bar = Math.Clamp(room / bars, 0, 20);
        var text = $"{head}  {Bar(p.ElapsedSeconds, _durationSeconds, bar)}{time}";
        if (ramp is not null) text += $"  ramp-up {Bar(p.ElapsedSeconds, _rampUpSeconds, bar)}{ramp}";
        return text;
    }

    private static string Bar(double done, double total, int length)
    {
        var filled = total <= 0 ? length : (int)(Math.Clamp(done / total, 0, 1) * length);
        return new string('█', filled) + new string('░', length - filled);
    }
}

/// <summary>
/// One column of the live table: its header, its text for a progress snapshot, a width guess from the number of
/// digits in the client count, and its priority when the terminal is too narrow for all (lower shows first).
/// </summary>
internal sealed record LiveColumn(string Header, Func<RunProgress, string> Value, Func<int, int> Width, int Priority, bool Alarm = false)
{
    /// <summary>Counters that can reach a hundred times the client count (connects, drops) get two digits more.</summary>
    private static int Counter(int digits) => digits + 2;

    public static IReadOnlyList<LiveColumn> For(ScenarioFeatures f)
    {
        var columns = new List<LiveColumn>
        {
            new("open", p => $"{p.Open}/{p.Planned}", d => 2 * d + 1, 0),
            new("connects", p => p.Connects.ToString(), Counter, 2),
        };
        if (f.Drops)
        {
            columns.Add(new("drops", p => p.ForcedDrops.ToString(), Counter, 5));
            columns.Add(new("reconn", p => p.Reconnects.ToString(), Counter, 6));
        }
        columns.Add(new("msg/s", p => p.MessagesPerSecond.ToString("F0"), d => d + 2, 7));
        columns.Add(new("rtt p95", p => $"{p.RttP95Ms:F1} ms", _ => 8, 4));
        columns.Add(new("lost", p => p.MessagesLost.ToString(), Counter, 3, Alarm: true));
        columns.Add(new("errors", p => p.ConnectFailures.ToString(), Counter, 1, Alarm: true));
        if (f.Zombies) columns.Add(new("evicted", p => p.ZombiesEvicted.ToString(), d => d, 1));
        if (f.Tokens) columns.Add(new("refreshes", p => p.TokenRefreshes.ToString(), Counter, 1));
        if (f.Malformed)
        {
            columns.Add(new("attacks", p => p.Attacks.ToString(), Counter, 6));
            columns.Add(new("cases ok/bad/wait", p => $"{p.CasesPassed}/{p.CasesFailed}/{p.CasesPending}", _ => 8, 1));
        }
        return columns;
    }
}
