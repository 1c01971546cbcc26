using System.Globalization;
using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// Reads the load shape: <c>stages</c> (k6's ramping stages, each <c>{ duration, clients }</c>, either one as a
/// share of the run's <c>duration</c> or <c>clients</c> so a shape scales with <c>--clients</c> and
/// <c>--duration</c>) and <c>connectRate</c> (an arrival rate for new clients). Checks what the cluster cannot run
/// (a rise after a fall: each client connects once) and warns where the keys pull against each other.
/// </summary>
internal static class LoadShapeBinder
{
    internal const string StagesForm = "a list of stages like [{ duration: 10s, clients: 100 }, { duration: 20s, clients: 100% }]";
    internal const string RateForm = "an arrival rate like 50/s, 600/m or 50 (per second)";
    internal const int MaxStages = 1000;
    internal const double MaxRate = 1_000_000;

    public sealed record Shape(IReadOnlyList<StageSpec> Stages, double? ConnectRate, int? Clients, TimeSpan? Duration);

    /// <param name="clients">The run's clients when the file (or an override) set them; with stages they may be left out (the highest target).</param>
    /// <param name="duration">Likewise the run's duration (with stages: the stages' total).</param>
    public static Shape Bind(MapReader m, int? clients, TimeSpan? duration, TimeSpan rampUp)
    {
        var d = m.Diag;
        var rate = m.Get("connectRate") is { } rateNode ? ReadRate(rateNode, m.PathOf("connectRate"), d) : null;
        if (m.Get("stages") is not { } node)
        {
            if (rate is { } r && clients is { } n && duration is { } runFor)
                WarnSlowRate(m, r, new Abstractions.Plans.LoadShape(n, runFor, rampUp, null, r), n, runFor, "rampUp");
            return new Shape([], rate, clients, duration);
        }
        var path = m.PathOf("stages");
        var items = NodeReader.Items(node, path, d, StagesForm);
        if (items is null) return new Shape([], rate, clients, duration);
        if (items.Count == 0 || items.Count > MaxStages)
        {
            d.Add(node, path, items.Count == 0 ? $"the list of stages is empty; expected {StagesForm}" : $"at most {MaxStages} stages, got {items.Count}");
            return new Shape([], rate, clients, duration);
        }

        var stages = new List<StageSpec>();
        var clientNodes = new List<YNode>();
        var ok = true;
        foreach (var (itemNode, itemPath) in items)
        {
            if (MapReader.Open(itemNode, itemPath, d, "a stage like { duration: 10s, clients: 100 }") is not { } sm)
            {
                ok = false;
                continue;
            }
            var durNode = sm.Require("duration", "a duration like 10s, or a share of the run's duration like 25%");
            var cliNode = sm.Require("clients", "a client count like 100, or a share of clients like 50%");
            sm.ReportUnknownKeys();
            var stageDuration = durNode is null ? null : ReadStageDuration(durNode, sm.PathOf("duration"), d, duration);
            var stageClients = cliNode is null ? null : ReadStageClients(cliNode, sm.PathOf("clients"), d, clients);
            if (stageDuration is null || stageClients is null)
            {
                ok = false;
                continue;
            }
            stages.Add(new StageSpec(stageDuration.Value, stageClients.Value));
            clientNodes.Add(cliNode!);
        }
        if (!ok) return new Shape([], rate, clients, duration);

        // Each client connects once: its window opens when the line rises past its index and closes when the
        // line falls back below it, so a rise after a fall would need clients that connect twice.
        var fell = -1;
        for (var k = 1; k <= stages.Count; k++)
        {
            var before = k == 1 ? 0 : stages[k - 2].Clients;
            var now = stages[k - 1].Clients;
            if (now < before && fell < 0) fell = k - 1;
            else if (now > before && fell >= 0)
            {
                d.Add(clientNodes[k - 1], KeyPath.Index(path, k - 1) + ".clients",
                    $"rises to {now} after stages[{fell}] fell to {stages[fell].Clients}; each client connects once per run, so a shape rises, holds, then falls (a spike is a rise and a fall at its end)");
                return new Shape([], rate, clients, duration);
            }
        }

        var peak = stages.Max(s => s.Clients);
        var sum = stages.Aggregate(TimeSpan.Zero, (a, s) => a + s.Duration);
        if (peak == 0)
            d.Add(node, path, "no stage plans a client: at least one target must be above 0");
        if (clients is { } c && peak != c)
            d.Add(node, path, $"the highest stage target is {peak} but clients is {c}: clients is the shape's peak; set a stage to {c} (or 100%) or clients to {peak}");
        if (duration is { } total && sum > total)
        {
            var at = TimeSpan.Zero;
            for (var k = 0; k < stages.Count; k++)
            {
                at += stages[k].Duration;
                if (at <= total) continue;
                d.Add(items[k].Node, KeyPath.Index(path, k),
                    $"the stages run {Units.FormatDuration(sum)}, longer than duration {Units.FormatDuration(total)} (stage {k} ends at {Units.FormatDuration(at)})");
                break;
            }
        }
        if (rampUp > TimeSpan.Zero && m.KeyNode("rampUp") is { } rampKey)
            d.Warn(rampKey, "rampUp", "ignored: stages set the load shape (put the ramp into the first stage)");
        var runClients = clients ?? peak;
        var runDuration = duration ?? sum;
        if (rate is { } perSecond && runClients > 0 && peak > 0)
            WarnSlowRate(m, perSecond, new Abstractions.Plans.LoadShape(runClients, runDuration,
                TimeSpan.Zero, [.. stages.Select(s => new Abstractions.Plans.StagePlan(s.Duration, s.Clients))], perSecond), runClients, runDuration, "stages");
        return new Shape(stages.AsReadOnly(), rate, runClients, runDuration);
    }

    /// <summary>A rate below the shape's steepest rise lags behind it; clients it would start after their window closed never run.</summary>
    private static void WarnSlowRate(MapReader m, double rate, Abstractions.Plans.LoadShape shape, int clients, TimeSpan duration, string shapeKey)
    {
        if (m.KeyNode("connectRate") is not { } key) return;
        var steepest = shape.SteepestRise();
        var never = 0;
        for (var i = 0; i < clients; i++)
        {
            var w = shape.WindowOf(i);
            if (!w.Runs || w.Start >= duration) never++;
        }
        if (never > 0)
            m.Diag.Warn(key, "connectRate", $"at {FormatRate(rate)} {never} of {clients} clients would start only after their stage or the run ended: they never connect");
        else if (steepest > rate * 1.0000001)
            m.Diag.Warn(key, "connectRate", $"{FormatRate(rate)} is slower than the {shapeKey} ({(double.IsPositiveInfinity(steepest) ? "all clients at once" : FormatRate(steepest))}): clients start later than the shape plans");
    }

    internal static string FormatRate(double perSecond) => $"{perSecond.ToString("0.###", CultureInfo.InvariantCulture)}/s";

    private static TimeSpan? ReadStageDuration(YNode node, string path, Diagnostics d, TimeSpan? runDuration)
    {
        if (node is YScalar { Value: var text } && text.TrimEnd().EndsWith('%'))
        {
            if (NodeReader.Percent(node, path, d, zeroAllowed: false) is not { } share) return null;
            if (runDuration is not { } total)
            {
                d.Add(node, path, "a share of duration needs duration: set it, or give the stage a length like 10s");
                return null;
            }
            return TimeSpan.FromTicks((long)Math.Round(total.Ticks * (double)share));
        }
        return NodeReader.Duration(node, path, d, mustBePositive: true);
    }

    private static int? ReadStageClients(YNode node, string path, Diagnostics d, int? runClients)
    {
        if (node is YScalar { Value: var text } && text.TrimEnd().EndsWith('%'))
        {
            if (NodeReader.Percent(node, path, d, zeroAllowed: true) is not { } share) return null;
            if (runClients is not { } n)
            {
                d.Add(node, path, "a share of clients needs clients: set it, or give the stage a count like 100");
                return null;
            }
            return (int)Math.Round(n * (double)share, MidpointRounding.AwayFromZero);
        }
        return NodeReader.Int(node, path, d, 0, ScenarioBinder.MaxClients);
    }

    /// <summary><c>50/s</c>, <c>600/m</c>, or a bare number (per second).</summary>
    private static double? ReadRate(YNode node, string path, Diagnostics d)
    {
        if (NodeReader.Scalar(node, path, d, RateForm) is not { } s) return null;
        var text = s.Value.Trim();
        var per = 1.0;
        var slash = text.IndexOf('/');
        if (slash >= 0)
        {
            var unit = text[(slash + 1)..].Trim();
            per = unit switch { "s" => 1, "m" => 60, _ => 0 };
            if (per == 0)
            {
                d.Add(node, path, $"unknown rate unit {Excerpt.Quote(unit)}; expected {RateForm}");
                return null;
            }
            text = text[..slash].Trim();
        }
        if (!Numbers.TryParseDecimal(text, allowSign: false, out var count))
        {
            d.Add(node, path, $"expected {RateForm}, got {Excerpt.Quote(s.Value)}");
            return null;
        }
        var perSecond = (double)count / per;
        if (perSecond <= 0 || perSecond > MaxRate)
        {
            d.Add(node, path, $"must be above 0 and at most {MaxRate.ToString("0", CultureInfo.InvariantCulture)}/s, got {Excerpt.Quote(s.Value)}");
            return null;
        }
        return perSecond;
    }
}
