using System.Text.RegularExpressions;
using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// The <c>json</c> block of <c>protocol: json</c>: templates checked as JSON once their placeholders are filled,
/// paths parsed and patterns compiled here, so a mistake is an error with its line and column before any client runs.
/// </summary>
internal static class JsonBinder
{
    private const string MatchForm = "a mapping with path (and optionally value) or regex";

    public static JsonPlan? Bind(MapReader m, ProtocolKind protocol, HeartbeatSpec heartbeat)
    {
        var d = m.Diag;
        var block = m.Map("json");
        if (block is null)
        {
            if (protocol == ProtocolKind.Json)
                d.Add(m.KeyNode("protocol") ?? (YNode)m.Node, m.PathOf("protocol"), "protocol: json needs a json block (send, correlate) describing the server's frames");
            return null;
        }
        if (protocol != ProtocolKind.Json)
        {
            d.Add(m.KeyNode("json")!, m.PathOf("json"), $"the json block describes the frames of protocol: json, and the protocol is {protocol.Spelled()}");
            block.ReportUnknownKeys();
            return null;
        }

        var send = Template(block, "send", required: true, mustHave: "{seq}");
        var correlate = block.Require("correlate", MatchForm) is not null && block.Map("correlate") is { } cm ? Match(cm, valueAllowed: false) : null;
        var error = block.Map("error") is { } em ? Match(em, valueAllowed: true) : null;

        string? pingSend = null;
        JsonMatchPlan? pong = null;
        if (block.Map("heartbeat") is { } hm)
        {
            pingSend = Template(hm, "send", required: true, mustHave: null);
            pong = hm.Require("expect", MatchForm) is not null && hm.Map("expect") is { } xm ? Match(xm, valueAllowed: true) : null;
            hm.ReportUnknownKeys();
            if (!heartbeat.AppLevel)
                d.Warn(block.KeyNode("heartbeat")!, block.PathOf("heartbeat"), "ignored: json.heartbeat's frames are sent only with heartbeat.appLevel: true (and heartbeat.interval above 0s)");
        }
        else if (heartbeat.AppLevel)
        {
            d.Add(block.Node, block.Path, "heartbeat.appLevel with protocol: json needs json.heartbeat (the ping frame to send and the pong to expect)");
        }

        JsonMatchPlan? pushFilter = null;
        string? pushSequence = null;
        if (block.Map("pushes") is { } pm)
        {
            pushFilter = pm.Require("filter", MatchForm) is not null && pm.Map("filter") is { } fm ? Match(fm, valueAllowed: true) : null;
            if (pm.Get("sequence") is { } seqNode && NodeReader.String(seqNode, pm.PathOf("sequence"), d, "a JSON path like seq or data.n") is { } seqPath)
                pushSequence = Path(seqNode, pm.PathOf("sequence"), d, seqPath);
            pm.ReportUnknownKeys();
        }

        string? refreshMessage = null, refreshExpect = null, refreshReject = null;
        if (block.Map("refresh") is { } rm)
        {
            refreshMessage = rm.Require("message", "the refresh frame with {token}") is not null ? rm.String("message") : null;
            if (refreshMessage is not null && !refreshMessage.Contains("{token}", StringComparison.Ordinal))
                d.Add(rm.Get("message")!, rm.PathOf("message"), "the refresh message must contain {token} where the new token goes");
            refreshExpect = rm.Require("expect", "the text of the server's acknowledgement") is not null ? rm.String("expect") : null;
            refreshReject = rm.String("reject");
            foreach (var (key, text) in (ReadOnlySpan<(string, string?)>)[("expect", refreshExpect), ("reject", refreshReject)])
            {
                if (text is "") d.Add(rm.Get(key)!, rm.PathOf(key), $"an empty {key} text is in every frame; write the text the server's answer contains");
            }
            rm.ReportUnknownKeys();
        }
        block.ReportUnknownKeys();
        if (send is null || correlate is null) return null;
        return new JsonPlan
        {
            Send = send,
            Correlate = correlate,
            Error = error,
            HeartbeatSend = pingSend,
            HeartbeatExpect = pong,
            PushFilter = pushFilter,
            PushSequence = pushSequence,
            RefreshMessage = refreshMessage,
            RefreshExpect = refreshExpect,
            RefreshReject = refreshReject,
        };
    }

    private static string? Template(MapReader m, string key, bool required, string? mustHave)
    {
        var node = required ? m.Require(key, "a JSON frame template") : m.Get(key);
        if (node is null || NodeReader.String(node, m.PathOf(key), m.Diag, "a JSON frame template") is not { } text) return null;
        if (mustHave is not null && !text.Contains(mustHave, StringComparison.Ordinal))
        {
            m.Diag.Add(node, m.PathOf(key), $"the template must contain {mustHave}, which a reply hands back to name its request");
            return null;
        }
        if (JsonTemplate.Check(text) is { } problem)
        {
            m.Diag.Add(node, m.PathOf(key), $"{Excerpt.Quote(text)} {problem}");
            return null;
        }
        return text;
    }

    /// <summary>path (with value, where allowed) or regex: exactly one of the two.</summary>
    private static JsonMatchPlan? Match(MapReader m, bool valueAllowed)
    {
        var d = m.Diag;
        var pathNode = m.Get("path");
        var regexNode = m.Get("regex");
        var valueNode = valueAllowed ? m.Get("value") : null;
        m.ReportUnknownKeys();
        if ((pathNode is null) == (regexNode is null))
        {
            d.Add(m.Node, m.Path, pathNode is null ? "give path or regex" : "give either path or regex, not both");
            return null;
        }
        if (pathNode is not null)
        {
            if (NodeReader.String(pathNode, m.PathOf("path"), d, "a JSON path like re or result.id") is not { } text) return null;
            if (Path(pathNode, m.PathOf("path"), d, text) is null) return null;
            string? value = null;
            if (valueNode is not null && (value = NodeReader.Scalar(valueNode, m.PathOf("value"), d, "a text, a number or true/false")?.Value) is null) return null;
            return new JsonMatchPlan { Path = text, Value = value };
        }
        if (valueNode is not null)
        {
            d.Add(valueNode, m.PathOf("value"), "value goes with path: a regex matches by itself");
            return null;
        }
        if (NodeReader.String(regexNode!, m.PathOf("regex"), d, "a regular expression") is not { } pattern) return null;
        if (pattern.Length == 0)
        {
            d.Add(regexNode!, m.PathOf("regex"), "an empty regex matches every frame; write the pattern a frame must match");
            return null;
        }
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            d.Add(regexNode!, m.PathOf("regex"), $"{Excerpt.Quote(pattern)} is not a regular expression: {e.Message}");
            return null;
        }
        return new JsonMatchPlan { Regex = pattern };
    }

    private static string? Path(YNode node, string key, Diagnostics d, string text)
    {
        if (JsonPath.TryParse(text, out _, out var error, out var at)) return text;
        d.Add(node, key, $"{Excerpt.Quote(text)} is not a JSON path (at character {at + 1}: {error}); write names joined by dots and indices in brackets, like result.items[0].id");
        return null;
    }
}
