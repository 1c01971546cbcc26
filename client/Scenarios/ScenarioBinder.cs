using System.Net;
using System.Text.RegularExpressions;
using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// Binds the node tree to a <see cref="Scenario"/> by hand, key by key. Reading goes on after an error
/// (with the default or nothing in its place) so one pass reports every problem; the scenario is only
/// built when no error was found. Population and thresholds live in their own binders.
/// </summary>
internal static partial class ScenarioBinder
{
    /// <summary>Lowercase, starts with a letter or digit; safe in file names and metric tags.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$", RegexOptions.CultureInvariant)]
    internal static partial Regex NamePattern();

    internal const string NameForm = "a name like flapping-demo (lowercase letters, digits, '-', '_', '.')";
    internal const int MaxClients = 1_000_000;

    private static readonly HashSet<string> JwtAlgorithms = new(["HS256", "HS384", "HS512", "RS256", "RS384", "RS512"], StringComparer.Ordinal);

    public static Scenario? Bind(YNode root, string sourcePath, ScenarioVocabulary vocab, Diagnostics d)
    {
        var m = MapReader.Open(root, "", d, "a mapping of scenario keys (name, target, clients, duration, ...)");
        if (m is null)
            return null;

        var name = ReadName(m);
        var target = m.Require("target", "embedded, a ws:// or wss:// URL, or a list of URLs") is { } t ? ReadTarget(t, m.PathOf("target"), d) : null;
        // With stages, clients and duration may be left out: the shape's peak and its total length.
        var staged = m.Get("stages") is not null;
        var clientsNode = staged ? m.Get("clients") : m.Require("clients", $"a whole number from 1 to {MaxClients}");
        var clients = clientsNode is { } c ? NodeReader.Int(c, m.PathOf("clients"), d, 1, MaxClients) : null;
        var durationNode = staged ? m.Get("duration") : m.Require("duration", Units.DurationForm);
        var duration = durationNode is { } du ? NodeReader.Duration(du, m.PathOf("duration"), d, mustBePositive: true) : null;
        var rampUp = m.Duration("rampUp") ?? TimeSpan.Zero;
        var shape = LoadShapeBinder.Bind(m, clients, duration, rampUp);
        if (staged && clientsNode is null) clients = shape.Clients;
        if (staged && durationNode is null) duration = shape.Duration;
        if (duration is { } total && rampUp > total)
            d.Add(m.Get("rampUp")!, m.PathOf("rampUp"), $"rampUp ({Units.FormatDuration(rampUp)}) must not be longer than duration ({Units.FormatDuration(total)})");
        var seed = m.Long("seed", long.MinValue, long.MaxValue);
        var protocol = m.Choice<ProtocolKind>("protocol") ?? ProtocolKind.Echo;
        var driver = m.Choice<ClientDriver>("driver") ?? ClientDrivers.Default;
        var messages = m.Map("messages") is { } mm ? ReadMessages(mm, protocol) : new MessagesSpec();
        var heartbeat = m.Map("heartbeat") is { } hm ? ReadHeartbeat(hm, protocol) : new HeartbeatSpec();
        var json = JsonBinder.Bind(m, protocol, heartbeat);
        var network = m.Map("network") is { } nm ? ReadNetwork(nm, vocab) : new NetworkSpec();
        var reconnect = m.Map("reconnect") is { } rm ? ReadReconnect(rm, vocab) : new ReconnectSpec();
        var auth = m.Map("auth") is { } am ? ReadAuth(am, protocol) : null;
        var signalr = SignalrBinder.Bind(m, protocol);
        var connect = ConnectBinder.Bind(m, protocol, auth, signalr, sourcePath);
        if (json?.RefreshMessage is not null && auth?.Refresh.Message is not null)
            d.Add(m.Get("json")!, "json.refresh", "give the refresh frames in one place: json.refresh or auth.refresh.message, not both");
        var socketio = m.Map("socketio") is { } sm ? ReadSocketio(sm, protocol) : new SocketioSpec();
        var graphqlWs = ReadGraphqlWs(m, protocol);
        var population = PopulationBinder.Bind(m, clients, duration is { } runFor ? (runFor, rampUp) : null, vocab, protocol, out var groupNames);
        var thresholds = ThresholdBinder.Bind(m, groupNames);
        var allowTargets = ReadAllowTargets(m);
        var embeddedTarget = m.Map("embeddedTarget") is { } em ? ReadEmbeddedTarget(em) : new EmbeddedTargetSpec();
        var cluster = m.Map("cluster") is { } cm ? ReadCluster(cm) : new ClusterSpec();
        var report = m.Map("report") is { } rpm ? ReadReport(rpm) : new ReportSpec();
        // embeddedTarget applies only when the run starts the target itself; a --target URL simply bypasses it.
        if (target is { IsEmbedded: false } && m.KeyNode("embeddedTarget") is { } embeddedKey)
            d.Warn(embeddedKey, "embeddedTarget",
                $"ignored: embeddedTarget configures the reference target a run starts with target: embedded, and the target is {Excerpt.Quote(string.Join(", ", target.Urls))}");
        m.ReportUnknownKeys();

        if (d.Count > 0)
            return null;
        return new Scenario
        {
            Name = name!,
            Target = target!,
            Clients = clients!.Value,
            Duration = duration!.Value,
            RampUp = rampUp,
            Stages = shape.Stages,
            ConnectRate = shape.ConnectRate,
            Seed = seed,
            Protocol = protocol,
            Driver = driver,
            Messages = messages,
            Json = json,
            Heartbeat = heartbeat,
            Network = network,
            Reconnect = reconnect,
            Auth = auth,
            Signalr = signalr,
            Connect = connect,
            Socketio = socketio,
            GraphqlWs = graphqlWs,
            // Read-only wrappers: a loaded scenario is shared by every client and must not change under them.
            Population = population!.AsReadOnly(),
            Thresholds = thresholds.AsReadOnly(),
            AllowTargets = allowTargets.AsReadOnly(),
            EmbeddedTarget = embeddedTarget,
            Cluster = cluster,
            Report = report,
            SourcePath = sourcePath,
        };
    }

    private static string? ReadName(MapReader m)
    {
        if (m.Require("name", NameForm) is not { } node)
            return null;
        var name = NodeReader.String(node, m.PathOf("name"), m.Diag, NameForm);
        if (name is not null && !NamePattern().IsMatch(name))
        {
            m.Diag.Add(node, m.PathOf("name"), $"expected {NameForm}, got {Excerpt.Quote(name)}");
            return null;
        }
        return name;
    }

    /// <summary><c>embedded</c>, one URL, or a list of URLs; only WebSocket schemes are accepted.</summary>
    private static TargetSpec? ReadTarget(YNode node, string path, Diagnostics d)
    {
        if (node is YScalar { IsNull: false, Value: "embedded" })
            return TargetSpec.Embedded;
        var items = NodeReader.Items(node, path, d, "embedded, a ws:// or wss:// URL, or a list of URLs", scalarIsOneItem: true);
        if (items is null)
            return null;
        if (items.Count == 0)
        {
            d.Add(node, path, "the list of target URLs is empty");
            return null;
        }
        var urls = new List<Uri>();
        foreach (var (itemNode, itemPath) in items)
        {
            var text = NodeReader.String(itemNode, itemPath, d, "a ws:// or wss:// URL");
            if (text is null)
                continue;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
                d.Add(itemNode, itemPath, $"expected embedded or a ws:// or wss:// URL, got {Excerpt.Quote(text)}");
            else if (uri.Scheme is not ("ws" or "wss"))
                d.Add(itemNode, itemPath, $"target URLs must use ws:// or wss://, got {uri.Scheme}:// in {Excerpt.Quote(text)}");
            else
                urls.Add(uri);
        }
        return urls.Count == items.Count ? new TargetSpec { Urls = urls.AsReadOnly() } : null;
    }

    private static readonly (string, bool)[] SiloLossPolicies = [("reactivate", true), ("count", false)];

    private static ClusterSpec ReadCluster(MapReader m)
    {
        var spec = new ClusterSpec { ReactivateLostClients = m.Choice("onSiloLoss", SiloLossPolicies) ?? true };
        m.ReportUnknownKeys();
        return spec;
    }

    private static EmbeddedTargetSpec ReadEmbeddedTarget(MapReader m)
    {
        var spec = new EmbeddedTargetSpec
        {
            HeartbeatInterval = m.Duration("heartbeatInterval"),
            HeartbeatTimeout = m.Duration("heartbeatTimeout"),
            EchoDelay = m.Duration("echoDelay"),
            MaxMessageSize = m.Int("maxMessageSize", 125, 64 * 1024 * 1024),
            AuthClockSkew = m.Duration("authClockSkew"),
            AuthEnforceExpiry = m.Bool("authEnforceExpiry"),
            SignalR = m.Map("signalr") is { } hub ? ReadEmbeddedSignalR(hub) : new EmbeddedSignalRSpec(),
        };
        m.ReportUnknownKeys();
        if (spec.HeartbeatTimeout is { } t && t > TimeSpan.Zero && spec.HeartbeatInterval is not { } i)
            m.Diag.Add(m.Get("heartbeatTimeout")!, m.PathOf("heartbeatTimeout"), "a heartbeat timeout needs heartbeatInterval above 0s");
        return spec;
    }

    private static EmbeddedSignalRSpec ReadEmbeddedSignalR(MapReader m)
    {
        var spec = new EmbeddedSignalRSpec
        {
            Path = m.String("path", "a path such as /hub"),
            KeepAliveInterval = m.Duration("keepAliveInterval", mustBePositive: true),
            ClientTimeout = m.Duration("clientTimeout", mustBePositive: true),
            PushInterval = m.Duration("pushInterval"),
            StatefulReconnect = m.Bool("statefulReconnect"),
            StatefulReconnectBufferSize = m.Long("statefulReconnectBufferSize", 1, EmbeddedSignalRSpec.MaxBufferSize),
            ReconnectWindow = m.Duration("reconnectWindow", mustBePositive: true),
        };
        m.ReportUnknownKeys();
        if (spec.Path is { } path && m.Get("path") is { } node)
        {
            if (!HubPath().IsMatch(path))
                m.Diag.Add(node, m.PathOf("path"), $"{Excerpt.Quote(path)} is not a path: it starts with '/' and has no spaces, '?' or '#'");
            else if (EmbeddedSignalRSpec.ReservedPaths.Contains(path.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
                m.Diag.Add(node, m.PathOf("path"), $"{Excerpt.Quote(path)} is the target's own endpoint; choose another, such as /hub");
        }
        return spec;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^/[^\s?#]+$")]
    private static partial System.Text.RegularExpressions.Regex HubPath();

    private static ReportSpec ReadReport(MapReader m)
    {
        var defaults = new ReportSpec();
        var spec = new ReportSpec
        {
            Timelines = m.Int("timelines", 0, SimCluster.Abstractions.Plans.TimelineSample.MaxCount) ?? defaults.Timelines,
            TimelineEvents = m.Int("timelineEvents", ReportSpec.MinTimelineEvents, ReportSpec.MaxTimelineEvents) ?? defaults.TimelineEvents,
        };
        m.ReportUnknownKeys();
        return spec;
    }

    private static MessagesSpec ReadMessages(MapReader m, ProtocolKind protocol)
    {
        var defaults = new MessagesSpec();
        var spec = new MessagesSpec
        {
            Interval = m.Duration("interval") ?? defaults.Interval,
            Size = m.Int("size", MessagesSpec.MinSize, MessagesSpec.MaxSize) ?? defaults.Size,
            LossTimeout = m.Duration("lossTimeout", mustBePositive: true) ?? defaults.LossTimeout,
            MaxReceiveSize = m.Int("maxReceiveSize", MessagesSpec.MinReceiveSize, MessagesSpec.MaxReceiveSizeLimit) ?? defaults.MaxReceiveSize,
        };
        m.ReportUnknownKeys();
        // Without application messages only maxReceiveSize (what the server may send) still matters.
        var (why, unread) = protocol is ProtocolKind.None or ProtocolKind.GraphqlWs ? ($"protocol {protocol.Spelled()} sends no application messages", (string[])["interval", "size", "lossTimeout"])
            : spec.Interval == TimeSpan.Zero ? ("interval 0s sends no application messages", ["size", "lossTimeout"])
            : ("", []);
        foreach (var key in unread)
        {
            if (m.KeyNode(key) is { } node)
                m.Diag.Warn(node, m.PathOf(key), $"ignored: {why}, so {key} has no effect");
        }
        return spec;
    }

    /// <summary>
    /// The <c>graphqlWs:</c> block, checked wherever it stands; any protocol but graphql-ws ignores it (a warning).
    /// Without a query a graphql-ws client connects, inits and pings, and subscribes to nothing.
    /// </summary>
    private static GraphqlWsSpec? ReadGraphqlWs(MapReader root, ProtocolKind protocol)
    {
        if (root.Map("graphqlWs") is not { } m) return null;
        if (protocol != ProtocolKind.GraphqlWs && root.KeyNode("graphqlWs") is { } key)
            root.Diag.Warn(key, root.PathOf("graphqlWs"), $"ignored: graphqlWs configures protocol: graphql-ws, and the protocol is {protocol.Spelled()}");
        var query = m.Get("query") is { } qn ? NodeReader.String(qn, m.PathOf("query"), m.Diag, "a GraphQL document") : null;
        if (query is not null && query.Trim().Length == 0)
        {
            m.Diag.Add(m.Get("query")!, m.PathOf("query"), "the query is empty");
            query = null;
        }
        var variables = m.String("variables", "a JSON object as text ('{\"every\": 50}')");
        if (variables is not null && !IsJsonObject(variables))
        {
            m.Diag.Add(m.Get("variables")!, m.PathOf("variables"), $"expected a JSON object as text ('{{\"every\": 50}}'), got {Excerpt.Quote(variables)}");
            variables = null;
        }
        var path = m.String("sequencePath", "property names joined by dots (data.ticks.seq)");
        string[] segments = [];
        if (path is not null)
        {
            segments = path.Split('.');
            if (segments.Any(s => s.Length == 0 || s.Trim() != s))
            {
                m.Diag.Add(m.Get("sequencePath")!, m.PathOf("sequencePath"), $"expected property names joined by dots (data.ticks.seq), got {Excerpt.Quote(path)}");
                segments = [];
            }
        }
        var tokenField = m.String("tokenField", "a property name of the connection_init payload") ?? "token";
        if (tokenField.Length == 0) m.Diag.Add(m.Get("tokenField")!, m.PathOf("tokenField"), "the token field name is empty");
        var operationName = m.String("operationName", "the name of an operation in the query");
        if (operationName is not null && !IsGraphqlName(operationName))
        {
            m.Diag.Add(m.Get("operationName")!, m.PathOf("operationName"), $"expected a GraphQL name (a letter or _, then letters, digits or _), got {Excerpt.Quote(operationName)}");
            operationName = null;
        }
        var spec = new GraphqlWsSpec
        {
            Query = query,
            Variables = variables,
            OperationName = operationName,
            SequencePath = segments,
            SendInit = m.Bool("sendInit") ?? true,
            TokenField = tokenField,
        };
        m.ReportUnknownKeys();
        return spec;
    }

    /// <summary>A GraphQL Name (the spec's /[_A-Za-z][_0-9A-Za-z]*/): what an operation is called.</summary>
    private static bool IsGraphqlName(string text) =>
        text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static SocketioSpec ReadSocketio(MapReader m, ProtocolKind protocol)
    {
        if (protocol != ProtocolKind.Socketio)
            m.Diag.Add(m.Node, m.Path, $"the socketio block configures protocol socketio, and the protocol is {protocol.Spelled()}");
        var defaults = new SocketioSpec();
        string? Matching(string key, string pattern, string form)
        {
            if (m.String(key, form) is not { } text) return null;
            if (Regex.IsMatch(text, pattern, RegexOptions.CultureInvariant)) return text;
            m.Diag.Add(m.Get(key)!, m.PathOf(key), $"expected {form}, got {Excerpt.Quote(text)}");
            return null;
        }
        const string pathForm = "a path starting with / (letters, digits, '.', '_', '~', '-', '/')";
        const string eventForm = "an event name of 1 to 100 letters, digits, '.', '_', ':' or '-'";
        List<string> pushEvents = [];
        string? pushSequence = null;
        if (m.Map("push") is { } pm)
        {
            if (pm.Require("event", "an event name, or a list of them") is { } eventNode
                && NodeReader.Items(eventNode, pm.PathOf("event"), m.Diag, "an event name, or a list of them", scalarIsOneItem: true) is { } items)
            {
                if (items.Count == 0) m.Diag.Add(eventNode, pm.PathOf("event"), "name at least one event");
                if (items.Count > SocketioSpec.MaxPushEvents) m.Diag.Add(eventNode, pm.PathOf("event"), $"at most {SocketioSpec.MaxPushEvents} events, got {items.Count}");
                foreach (var (node, path) in items)
                {
                    if (NodeReader.String(node, path, m.Diag, eventForm) is not { } name) continue;
                    if (!Regex.IsMatch(name, SocketioSpec.EventPattern, RegexOptions.CultureInvariant))
                        m.Diag.Add(node, path, $"expected {eventForm}, got {Excerpt.Quote(name)}");
                    else if (pushEvents.Contains(name)) m.Diag.Add(node, path, $"{Excerpt.Quote(name)} is named twice");
                    else pushEvents.Add(name);
                }
            }
            pushSequence = pm.Require("sequence", "a field name of the event's first argument") is not null
                ? MatchingIn(pm, "sequence", SocketioSpec.FieldPattern, "a field name (a letter, '_' or '$', then letters, digits, '_' or '$')") : null;
            pm.ReportUnknownKeys();
        }
        string? args = null;
        if (m.Get("args") is { } argsNode && NodeReader.String(argsNode, m.PathOf("args"), m.Diag, "a JSON array as text, such as '[{\"seq\":{seq}}]'") is { } argsText)
        {
            if (JsonTemplate.Check(argsText) is { } problem) m.Diag.Add(argsNode, m.PathOf("args"), $"{Excerpt.Quote(argsText)} {problem}");
            else if (!JsonTemplate.IsArray(argsText)) m.Diag.Add(argsNode, m.PathOf("args"), $"{Excerpt.Quote(argsText)} is no JSON array: the event's arguments come after its name in one array");
            else args = argsText;
        }
        var spec = new SocketioSpec
        {
            Namespace = Matching("namespace", SocketioSpec.NamePattern, pathForm) ?? defaults.Namespace,
            Path = Matching("path", SocketioSpec.NamePattern, pathForm) ?? defaults.Path,
            Event = Matching("event", SocketioSpec.EventPattern, eventForm) ?? defaults.Event,
            Args = args,
            Ack = m.Bool("ack") ?? defaults.Ack,
            PushEvents = pushEvents,
            PushSequence = pushSequence,
            Recovery = m.Bool("recovery") ?? false,
        };
        m.ReportUnknownKeys();
        return spec;
    }

    private static string? MatchingIn(MapReader m, string key, string pattern, string form)
    {
        if (m.String(key, form) is not { } text) return null;
        if (Regex.IsMatch(text, pattern, RegexOptions.CultureInvariant)) return text;
        m.Diag.Add(m.Get(key)!, m.PathOf(key), $"expected {form}, got {Excerpt.Quote(text)}");
        return null;
    }

    private static HeartbeatSpec ReadHeartbeat(MapReader m, ProtocolKind protocol)
    {
        var spec = new HeartbeatSpec
        {
            Interval = m.Duration("interval") ?? TimeSpan.Zero,
            Timeout = m.Duration("timeout") ?? TimeSpan.Zero,
            AppLevel = m.Bool("appLevel") ?? false,
        };
        // A timeout or an app-level ping only means something when pings are sent at all.
        if (spec.Interval == TimeSpan.Zero && spec.Timeout > TimeSpan.Zero)
            m.Diag.Add(m.Get("timeout")!, m.PathOf("timeout"), "a heartbeat timeout needs heartbeat.interval above 0s");
        if (spec.Interval == TimeSpan.Zero && spec.AppLevel)
            m.Diag.Add(m.Get("appLevel")!, m.PathOf("appLevel"), "appLevel needs heartbeat.interval above 0s");
        if (spec.AppLevel && protocol is not (ProtocolKind.Session or ProtocolKind.Json or ProtocolKind.GraphqlWs))
            m.Diag.Add(m.Get("appLevel")!, m.PathOf("appLevel"), "appLevel heartbeats are the protocol's own ping/pong frames: they need protocol: session, graphql-ws, or json with json.heartbeat");
        m.ReportUnknownKeys();
        return spec;
    }

    private static NetworkSpec ReadNetwork(MapReader m, ScenarioVocabulary vocab)
    {
        var loss = m.Get("loss") is { } ln ? NodeReader.Percent(ln, m.PathOf("loss"), m.Diag, zeroAllowed: true) : null;
        var spec = new NetworkSpec
        {
            Profile = m.Name("profile", vocab.LinkProfiles, "link profile"),
            Latency = m.Duration("latency"),
            Jitter = m.Duration("jitter"),
            BandwidthDownBps = m.Bandwidth("bandwidthDown"),
            BandwidthUpBps = m.Bandwidth("bandwidthUp"),
            Loss = loss is { } l ? (double)l : null,
            SourceAddresses = m.Get("sourceAddresses") is { } sa ? ReadSourceAddresses(sa, m.PathOf("sourceAddresses"), m.Diag)?.AsReadOnly() : null,
        };
        m.ReportUnknownKeys();
        return spec;
    }

    private const string CidrForm = "a range in 127.0.0.0/8 like 127.0.1.0/24";

    /// <summary>
    /// Every 127.x address is loopback on Linux, so sub-ranges of 127.0.0.0/8 stand in for network
    /// interfaces; anything else would send traffic off the machine.
    /// </summary>
    private static List<string>? ReadSourceAddresses(YNode node, string path, Diagnostics d)
    {
        var items = NodeReader.Items(node, path, d, $"a list of ranges like [127.0.1.0/24]", scalarIsOneItem: true);
        if (items is null)
            return null;
        var result = new List<string>();
        foreach (var (itemNode, itemPath) in items)
        {
            if (NodeReader.String(itemNode, itemPath, d, CidrForm) is not { } text)
                continue;
            if (CheckLoopbackCidr(text) is { } error)
                d.Add(itemNode, itemPath, error);
            else
                result.Add(text);
        }
        return result;
    }

    /// <summary>Null when <paramref name="text"/> is an IPv4 address or CIDR range inside 127.0.0.0/8; the complaint otherwise.</summary>
    internal static string? CheckLoopbackCidr(string text)
    {
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        var prefix = 32;
        // IPAddress.TryParse accepts shorthands like "127.1"; insist on four dotted numbers.
        if (addressText.Split('.').Length != 4 || !IPAddress.TryParse(addressText, out var address)
            || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || (slash >= 0 && !int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix)))
            return $"expected {CidrForm}, got {Excerpt.Quote(text)}";
        if (prefix is < 8 or > 32)
            return $"the prefix length must be from /8 to /32, got {Excerpt.Quote(text)}";
        if (address.GetAddressBytes()[0] != 127)
            return $"source addresses must lie in 127.0.0.0/8 (loopback), got {Excerpt.Quote(text)}";
        return null;
    }

    private static readonly string[] DelayKeys = ["base", "max", "jitter"];

    /// <summary>
    /// The delay keys each policy uses (see the policies in grains/Grains/Reconnect): a key outside its
    /// policy's list is accepted but has no effect, which earns a warning. maxAttempts is read by all.
    /// </summary>
    private static readonly Dictionary<string, string[]> PolicyReads = new(StringComparer.Ordinal)
    {
        ["immediate"] = [],
        ["fixed"] = ["base", "jitter"],
        ["exponential"] = DelayKeys,
    };

    private static readonly Dictionary<string, string> PolicyWaits = new(StringComparer.Ordinal)
    {
        ["immediate"] = "it retries at once, without a wait",
        ["fixed"] = "it waits base, with jitter, before every attempt",
    };

    private static ReconnectSpec ReadReconnect(MapReader m, ScenarioVocabulary vocab)
    {
        var defaults = new ReconnectSpec();
        var spec = new ReconnectSpec
        {
            Policy = m.Name("policy", vocab.ReconnectPolicies, "reconnect policy") ?? defaults.Policy,
            Base = m.Duration("base") ?? defaults.Base,
            Max = m.Duration("max", mustBePositive: true) ?? defaults.Max,
            Jitter = m.Choice<JitterKind>("jitter") ?? defaults.Jitter,
            MaxAttempts = m.Int("maxAttempts", 0, int.MaxValue) ?? defaults.MaxAttempts,
        };
        var reads = PolicyReads.TryGetValue(spec.Policy, out var keys) ? keys : DelayKeys;
        foreach (var key in DelayKeys.Where(k => !reads.Contains(k)))
        {
            if (m.KeyNode(key) is { } keyNode)
                m.Diag.Warn(keyNode, m.PathOf(key), $"ignored: policy {spec.Policy} does not read {key} ({PolicyWaits[spec.Policy]})");
        }
        // max bounds base only where both are read.
        if (reads.Contains("max") && spec.Max < spec.Base)
            m.Diag.Add(m.Get("max") ?? m.Get("base") ?? m.Node, m.PathOf("max"),
                $"max ({Units.FormatDuration(spec.Max)}) must not be below base ({Units.FormatDuration(spec.Base)})");
        m.ReportUnknownKeys();
        return spec;
    }

    private const string InlineSecret = "secrets must come from secretEnv or secretFile";

    private static AuthSpec? ReadAuth(MapReader m, ProtocolKind protocol)
    {
        var d = m.Diag;
        RejectInlineSecret(m);
        var jwt = m.Map("jwt") is { } jm ? ReadJwt(jm) : null;
        var tokenUrlNode = m.Get("tokenUrl");
        string? tokenUrl = null;
        if (tokenUrlNode is not null && NodeReader.String(tokenUrlNode, m.PathOf("tokenUrl"), d, "an http:// or https:// URL") is { } url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https")
                tokenUrl = url;
            else
                d.Add(tokenUrlNode, m.PathOf("tokenUrl"), $"expected an http:// or https:// URL, got {Excerpt.Quote(url)}");
        }
        var jwtGiven = m.Get("jwt") is not null;
        if (jwtGiven == (tokenUrlNode is not null))
            d.Add(m.KeyNode("jwt") ?? m.KeyNode("tokenUrl") ?? (YNode)m.Node, m.Path,
                jwtGiven ? "give either jwt or tokenUrl, not both" : "auth needs either jwt or tokenUrl");

        var refresh = new RefreshSpec();
        YNode? beforeNode = null;
        if (m.Map("refresh") is { } rm)
        {
            refresh = new RefreshSpec
            {
                Mode = rm.Choice<RefreshMode>("mode") ?? refresh.Mode,
                Before = rm.Duration("before") ?? refresh.Before,
                Late = rm.Duration("late"),
                Timeout = rm.Duration("timeout", mustBePositive: true) ?? refresh.Timeout,
                ReplayOld = rm.Bool("replayOld") ?? false,
                Message = rm.String("message"),
                Expect = rm.String("expect"),
                Reject = rm.String("reject"),
            };
            beforeNode = rm.Get("before");
            // A custom refresh frame is only useful with a way to recognise the answer, and it must carry the token.
            if (refresh.Message is { } message && !message.Contains("{token}", StringComparison.Ordinal))
                d.Add(rm.Get("message")!, rm.PathOf("message"), "the refresh message must contain {token} where the new token goes");
            if ((refresh.Message is null) != (refresh.Expect is null))
                d.Add(rm.Get("message") ?? rm.Get("expect")!, rm.PathOf(refresh.Message is null ? "expect" : "message"),
                    "message and expect go together: the frame to send and the text of the server's acknowledgement");
            if (refresh.Reject is not null && refresh.Message is null)
                d.Add(rm.Get("reject")!, rm.PathOf("reject"), "reject needs message and expect");
            if (refresh.Message is not null && refresh.Mode != RefreshMode.InBand)
                d.Add(rm.Get("message")!, rm.PathOf("message"), "message applies to mode: in-band only");
            WarnIgnoredRefreshKeys(rm, refresh.Mode);
            rm.ReportUnknownKeys();
        }
        // Refreshing at or before the moment a token is minted would refresh in a loop.
        if (jwt is not null && refresh.Mode != RefreshMode.None && refresh.Late is null && refresh.Before >= jwt.Lifetime)
            d.Add(beforeNode ?? m.Get("jwt") ?? m.Node, KeyPath.Child(m.PathOf("refresh"), "before"),
                $"refresh.before ({Units.FormatDuration(refresh.Before)}) must be shorter than jwt.lifetime ({Units.FormatDuration(jwt.Lifetime)})");

        var send = m.Choice<TokenPlacement>("send") ?? TokenPlacement.Query;
        if (send == TokenPlacement.Protocol && !protocol.CarriesTokens())
            d.Add(m.Get("send")!, m.PathOf("send"), $"send: protocol hands the token to the protocol's own handshake, and protocol {protocol.Spelled()} has none; use query or header"
                + (Enum.GetValues<ProtocolKind>().Where(k => k.CarriesTokens()).Select(k => k.Spelled()).ToArray() is { Length: > 0 } carriers ? $" (protocols that carry a token: {string.Join(", ", carriers)})" : ""));
        var spec = new AuthSpec
        {
            Jwt = jwt,
            TokenUrl = tokenUrl,
            Send = send,
            Refresh = refresh,
            FetchTimeout = m.Duration("fetchTimeout", mustBePositive: true) ?? TimeSpan.FromSeconds(5),
        };
        m.ReportUnknownKeys();
        return spec;
    }

    /// <summary>
    /// Refresh keys the chosen mode never reads: mode none refreshes nothing, only in-band replays the old
    /// token, and a late refresh is timed by late instead of before.
    /// </summary>
    private static void WarnIgnoredRefreshKeys(MapReader rm, RefreshMode mode)
    {
        if (mode == RefreshMode.None)
        {
            foreach (var key in (string[])["before", "late", "timeout", "replayOld"])
            {
                if (rm.KeyNode(key) is { } node)
                    rm.Diag.Warn(node, rm.PathOf(key), $"ignored: mode none never refreshes the token, so {key} has no effect");
            }
            return;
        }
        if (mode != RefreshMode.InBand && rm.KeyNode("replayOld") is { } replay)
            rm.Diag.Warn(replay, rm.PathOf("replayOld"), "ignored: replayOld sends the old token again after an in-band refresh; it applies to mode: in-band only");
        if (rm.KeyNode("before") is { } before && rm.Get("late") is not null)
            rm.Diag.Warn(before, rm.PathOf("before"), "ignored: with late set, the refresh happens late after the token expires, not before it");
    }

    private static JwtSpec ReadJwt(MapReader m)
    {
        var d = m.Diag;
        RejectInlineSecret(m);
        var (secretEnv, secretFile) = ReadSecretReference(m, "SIM_JWT_SECRET");
        var generateKey = m.Bool("generateKey") ?? false;
        var sources = (m.Get("secretEnv") is null ? 0 : 1) + (m.Get("secretFile") is null ? 0 : 1) + (generateKey ? 1 : 0);
        if (sources != 1)
            d.Add(m.KeyNode("secretFile") ?? m.KeyNode("generateKey") ?? (YNode)m.Node, m.Path, "jwt needs exactly one of secretEnv, secretFile or generateKey: true");
        var clockAhead = m.Duration("clockAhead");
        var clockBehind = m.Duration("clockBehind");
        if (clockAhead is not null && clockBehind is not null)
            d.Add(m.Get("clockBehind")!, m.PathOf("clockBehind"), "give either clockAhead or clockBehind, not both");
        var badSignature = m.Get("badSignature") is { } bs ? NodeReader.Percent(bs, m.PathOf("badSignature"), d, zeroAllowed: true) : null;

        var algorithm = m.Get("algorithm") is { } an ? NodeReader.Name(an, m.PathOf("algorithm"), d, JwtAlgorithms, "algorithm") : null;
        var spec = new JwtSpec
        {
            SecretEnv = secretEnv,
            SecretFile = secretFile,
            GenerateKey = generateKey,
            Algorithm = algorithm ?? "HS256",
            Lifetime = m.Duration("lifetime", mustBePositive: true) ?? TimeSpan.FromSeconds(60),
            BadSignature = badSignature ?? 0m,
            ClockAhead = clockAhead ?? TimeSpan.Zero,
            ClockBehind = clockBehind ?? TimeSpan.Zero,
            AlignExpiry = m.Bool("alignExpiry") ?? false,
            KeyPosition = (m.Get("secretEnv") ?? m.Get("secretFile") ?? m.Get("generateKey")) is { } keyNode
                ? (m.Get("secretEnv") is not null ? m.PathOf("secretEnv") : m.Get("secretFile") is not null ? m.PathOf("secretFile") : m.PathOf("generateKey"), keyNode.Line, keyNode.Column)
                : (m.Path, m.Node.Line, m.Node.Column),
        };
        m.ReportUnknownKeys();
        return spec;
    }

    /// <summary>
    /// Where a secret lives, <c>secretEnv</c> (a variable name) or <c>secretFile</c> (a path, as written), both read
    /// without the secret itself: the one form of a secret by reference, for the JWT key and the connect block's values.
    /// </summary>
    internal static (string? Env, string? File) ReadSecretReference(MapReader m, string envExample)
    {
        var secretEnv = m.String("secretEnv", $"an environment variable name like {envExample}");
        if (secretEnv is not null && !Regex.IsMatch(secretEnv, "^[A-Za-z_][A-Za-z0-9_]*$"))
            m.Diag.Add(m.Get("secretEnv")!, m.PathOf("secretEnv"), $"expected an environment variable name like {envExample}, got {Excerpt.Quote(secretEnv)}");
        return (secretEnv, m.String("secretFile", "a file path"));
    }

    /// <summary>A secret written into the scenario ends up in version control and reports; refuse it outright.</summary>
    internal static void RejectInlineSecret(MapReader m)
    {
        if (m.KeyNode("secret") is { } key)
            m.Diag.Add(key, m.PathOf("secret"), InlineSecret);
    }

    private static List<string> ReadAllowTargets(MapReader m)
    {
        var result = new List<string>();
        if (m.Get("allowTargets") is not { } node)
            return result;
        var items = NodeReader.Items(node, m.PathOf("allowTargets"), m.Diag, "a list of hosts or URLs", scalarIsOneItem: true);
        foreach (var (itemNode, itemPath) in items ?? [])
        {
            if (NodeReader.String(itemNode, itemPath, m.Diag, "a host, host:port or URL") is { } text)
            {
                if (text.Any(char.IsWhiteSpace))
                    m.Diag.Add(itemNode, itemPath, $"expected a host, host:port or URL without spaces, got {Excerpt.Quote(text)}");
                else
                    result.Add(text);
            }
        }
        return result;
    }
}
