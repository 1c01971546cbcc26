using System.Text.Json;
using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>Binds <c>signalr:</c> (only with <c>protocol: signalr</c>), every error with its line and column.</summary>
internal static class SignalrBinder
{
    public static SignalrSpec Bind(MapReader root, ProtocolKind protocol)
    {
        if (root.Map("signalr") is not { } m) return new SignalrSpec();
        if (protocol != ProtocolKind.Signalr)
            root.Diag.Add(root.Get("signalr")!, root.PathOf("signalr"), $"signalr configures protocol: signalr, and the protocol is {protocol.Spelled()}");
        var defaults = new SignalrSpec();
        var method = m.String("method", "a hub method name such as Echo");
        if (method is not null && (method.Length == 0 || method.Any(char.IsWhiteSpace)))
            m.Diag.Add(m.Get("method")!, m.PathOf("method"), "a hub method name has no spaces and is not empty");
        var arguments = m.String("arguments", "a JSON array such as '[\"{body}\"]'");
        if (arguments is not null && !IsJsonArray(arguments, out var why))
            m.Diag.Add(m.Get("arguments")!, m.PathOf("arguments"), $"arguments must be a JSON array (with {{seq}}, {{ts}}, {{client}}, {{body}} where values go): {why}");
        var keepAlive = m.Duration("keepAliveInterval", mustBePositive: true);
        var serverTimeout = m.Duration("serverTimeout", mustBePositive: true);
        var stateful = m.Bool("statefulReconnect");
        var skip = m.Bool("skipNegotiation");
        var pushTarget = m.String("pushTarget", "the target name of the hub's pushes");
        var pushSequence = m.String("pushSequence", "the field of a push's first argument that numbers it, such as seq");
        foreach (var (key, value) in (ReadOnlySpan<(string, string?)>)[("pushTarget", pushTarget), ("pushSequence", pushSequence)])
        {
            if (value is { Length: 0 }) m.Diag.Add(m.Get(key)!, m.PathOf(key), $"{key} must not be empty (leave the key out instead)");
        }
        m.ReportUnknownKeys();
        var spec = new SignalrSpec
        {
            Method = method ?? defaults.Method,
            Arguments = arguments,
            KeepAliveInterval = keepAlive ?? defaults.KeepAliveInterval,
            ServerTimeout = serverTimeout ?? defaults.ServerTimeout,
            StatefulReconnect = stateful ?? !(skip ?? false),
            SkipNegotiation = skip ?? false,
            PushTarget = pushTarget,
            PushSequence = pushSequence,
        };
        if (spec.ServerTimeout <= spec.KeepAliveInterval)
        {
            var node = m.Get("serverTimeout") ?? m.Get("keepAliveInterval") ?? root.Get("signalr")!;
            m.Diag.Add(node, m.PathOf(m.Get("serverTimeout") is not null ? "serverTimeout" : "keepAliveInterval"),
                $"serverTimeout ({Units.FormatDuration(spec.ServerTimeout)}) must be longer than keepAliveInterval ({Units.FormatDuration(spec.KeepAliveInterval)}); SignalR advises twice as long");
        }
        if (stateful == true && skip == true)
            m.Diag.Add(m.Get("statefulReconnect")!, m.PathOf("statefulReconnect"), "stateful reconnect needs the connection token negotiate hands out: not with skipNegotiation: true");
        return spec;
    }

    internal static bool IsJsonArray(string template, out string why)
    {
        var text = template;
        foreach (var (name, standIn) in SignalrSpec.Placeholders) text = text.Replace(name, standIn, StringComparison.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(text);
            why = doc.RootElement.ValueKind == JsonValueKind.Array ? "" : $"it is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}";
            return why.Length == 0;
        }
        catch (JsonException e)
        {
            why = e.Message.Split('.')[0];
            return false;
        }
    }
}
