using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios.Schema;

/// <summary>
/// The JSON Schema (draft 2020-12) of scenario files, for editors (completion, hover help, red squiggles).
/// Built from what the validator uses: the vocabulary (behaviours, policies, link profiles, zombie kinds,
/// case ids), the metric names and the aggregations thresholds allow, the name pattern, number limits and
/// defaults of the model records. Published as <c>schemas/scenario.schema.json</c>; a test compares that
/// file with <see cref="GenerateText"/> and another walks the binder's keys, so the two cannot drift.
/// The schema checks each key and value; rules across keys that JSON Schema cannot say (shares summing
/// to 100%, rampUp within duration, max above base) stay with <c>./simcluster validate</c>.
/// </summary>
public static class ScenarioSchema
{
    public const string Draft = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>Where the schema is published, relative to the repository root.</summary>
    public const string PublishedPath = "schemas/scenario.schema.json";

    /// <summary>The command that rewrites <see cref="PublishedPath"/>.</summary>
    public const string RegenerateCommand = "./simcluster schema > schemas/scenario.schema.json";

    /// <summary>The first line of every shipped scenario (scenarios/ sits beside schemas/).</summary>
    public const string ModeLine = "# yaml-language-server: $schema=../schemas/scenario.schema.json";

    // Value syntaxes, as Units parses them (whitespace around a value is trimmed there too).
    private const string DurationPart = @"(?:0|(?:\d+(?:\.\d+)?(?:ms|s|m|h))+)";
    private const string DurationPattern = @"^\s*" + DurationPart + @"\s*$";
    private const string NonZero = "(?=[^1-9]*[1-9])";
    private const string PositiveDurationPattern = @"^\s*" + NonZero + @"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+\s*$";
    private const string RangeBody = @"\s*" + DurationPart + @"(?:\s*\.\.\s*" + DurationPart + @")?\s*$";
    private const string RangePattern = "^" + RangeBody;
    /// <summary>A range whose minimum (the part before "..") is above zero.</summary>
    private const string PositiveRangePattern = @"^(?=(?:(?!\.\.)[^1-9])*[1-9])" + RangeBody;
    private const string BandwidthPattern = @"^\s*\d+(?:\.\d+)?\s*(?:bps|kbps|Kbps|Mbps|Gbps)\s*$";
    private const string PercentUpTo100 = @"(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)";
    private const string NumberPattern = @"-?\d+(?:\.\d+)?";
    private const string Octet = @"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)";

    /// <summary>The schema for <paramref name="vocabulary"/> (default: what SimCluster ships with).</summary>
    public static JsonObject Generate(ScenarioVocabulary? vocabulary = null)
    {
        var vocab = vocabulary ?? ScenarioVocabulary.Default;
        var messages = new MessagesSpec();
        var reconnect = new ReconnectSpec();
        var flapping = new FlappingSpec();
        var zombie = new ZombieSpec { Kind = "silent-app" };
        var switching = new SwitchingSpec();
        var malformed = new MalformedSpec();
        var jwt = new JwtSpec();
        var refresh = new RefreshSpec();
        var report = new ReportSpec();

        var root = Object(
            "A SimCluster scenario: who connects to which WebSocket server, how the clients misbehave, and the thresholds the run is graded on. Check one with ./simcluster validate FILE.",
            [
                ("name", Describe(Pattern(ScenarioBinder.NamePattern().ToString()),
                    $"Required. Names the run and its report folder: {ScenarioBinder.NameForm}.", examples: ["flapping-demo"])),
                ("target", Describe(AnyOf(
                        new JsonObject { ["const"] = "embedded", ["description"] = "the reference target, started by the run" },
                        Ref("wsUrl"),
                        new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = Ref("wsUrl") }),
                    "Required. `embedded` (the reference target, started by the run), a ws:// or wss:// URL, or a list of URLs (clients are spread over them).",
                    examples: ["embedded", "ws://127.0.0.1:5080/ws"])),
                ("clients", Describe(Integer(1, ScenarioBinder.MaxClients), "Required (with stages: defaults to the highest stage target). Number of simulated clients.", examples: [1000])),
                ("duration", Describe(Ref("positiveDuration"), "Required (with stages: defaults to their total). Length of the run, ramp-up included.", examples: ["60s", "1m30s"])),
                ("rampUp", Describe(Ref("duration"), "Client i starts at rampUp * i / clients; at most the duration. Ignored (a warning) beside stages.", "0s", examples: ["10s"])),
                ("stages", Describe(new JsonObject
                    {
                        ["type"] = "array",
                        ["minItems"] = 1,
                        ["maxItems"] = LoadShapeBinder.MaxStages,
                        ["items"] = Object("One stage: over its duration the planned client count moves in a line to its target (k6's ramping stages).",
                        [
                            ("duration", Describe(AnyOf(Ref("positiveDuration"), Ref("share")), "How long the stage lasts, or a share of the run's duration.", examples: ["10s", "25%"])),
                            ("clients", Describe(AnyOf(Integer(0, ScenarioBinder.MaxClients), Pattern(@"^\s*" + PercentUpTo100 + @"\s*%\s*$")), "The planned client count at the stage's end, or a share of clients.", examples: [100, "50%"])),
                        ], required: ["duration", "clients"]),
                    },
                    "The load shape: ramps, holds, spikes and ramp-down. Client i is connected while the planned count is above i; a ramp-down closes clients cleanly (clients_ramped_down), never as a disconnect. The shape rises, holds, then falls (no rise after a fall); its peak is clients; after the last stage the target holds.",
                    examples: [new JsonArray(new JsonObject { ["duration"] = "10s", ["clients"] = "100%" }, new JsonObject { ["duration"] = "20s", ["clients"] = "100%" }, new JsonObject { ["duration"] = "5s", ["clients"] = 0 })])),
                ("connectRate", Describe(AnyOf(Pattern(@"^\s*" + NonZero + @"\d+(?:\.\d+)?\s*(?:/\s*[sm])?\s*$"), new JsonObject { ["type"] = "number", ["exclusiveMinimum"] = 0 }),
                    "An arrival rate: at most this many new clients start per second (50/s, 600/m, or a number per second), in index order, later than the shape plans if need be. Reconnects follow the reconnect policy.", examples: ["50/s"])),
                ("seed", Describe(new JsonObject { ["type"] = "integer" },
                    "Seed for every random choice; the same seed repeats the same schedule. Drawn (and reported) when left out.", examples: [42])),
                ("protocol", Describe(Enum<ProtocolKind>(),
                    "echo: any echo server; session: session protocol v1 (sequence numbers, acks, replay); none: connect only; signalr: an ASP.NET Core SignalR hub (JSON hub protocol v1; the target is the hub's ws:// URL); json: any request/response protocol over text frames, described by the json block; socketio: Socket.IO v5 over Engine.IO v4 (see socketio); graphql-ws: GraphQL subscriptions over the graphql-transport-ws subprotocol (see graphqlWs).", ProtocolKind.Echo.Spelled())),
                ("graphqlWs", Object("protocol: graphql-ws: the operation each client subscribes to after connection_ack, and how its next payloads are numbered. Without query a client inits, pings and subscribes to nothing. Ignored (a warning) with any other protocol.",
                [
                    ("query", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1, ["pattern"] = @"\S" }, "The GraphQL document of the subscribe message: a subscription (pushes), or a query (one next, then complete).", examples: ["subscription { ticks { seq } }"])),
                    ("variables", Describe(new JsonObject { ["type"] = "string", ["pattern"] = @"^\s*\{[\s\S]*\}\s*$" }, "The operation's variables: a JSON object, as text.", examples: ["{\"every\": 50}"])),
                    ("operationName", Describe(new JsonObject { ["type"] = "string", ["pattern"] = "^[_A-Za-z][_0-9A-Za-z]*$" }, "The operation name sent with the query, a GraphQL name.", examples: ["Ticks"])),
                    ("sequencePath", Describe(new JsonObject { ["type"] = "string", ["pattern"] = @"^[^.\s](?:[^.]*[^.\s])?(?:\.[^.\s](?:[^.]*[^.\s])?)*$" }, "Property names from a next message's payload to a whole number that counts the subscription's items: gaps are pushes_lost, repeats pushes_duplicated. Left out: pushes are only counted.", examples: ["data.ticks.seq"])),
                    ("sendInit", Describe(new JsonObject { ["type"] = "boolean" }, "false: never send connection_init, so the server must close every connection 4408 after its init timeout (disconnect cause server:close-4408-init-timeout).", true)),
                    ("tokenField", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "With auth.send: protocol, the connection_init payload property carrying the token.", "token")),
                ])),
                ("driver", Describe(Enum<ClientDriver>(),
                    "The code that drives each client's WebSocket: lean (SimCluster's own receive loop, the default: a third of the memory per client) or websocket-client (the Websocket.Client library).", ClientDrivers.Default.Spelled())),
                ("json", Json()),
                ("messages", Object("Application messages each client sends and expects back.",
                [
                    ("interval", Describe(Ref("duration"), "Time between two messages of one client; 0 = no messages.", Format(messages.Interval), examples: ["1s", "250ms"])),
                    ("size", Describe(Integer(MessagesSpec.MinSize, MessagesSpec.MaxSize), "Payload bytes.", messages.Size, examples: [64])),
                    ("lossTimeout", Describe(Ref("positiveDuration"), "An echo not back after this long (connection still open) counts as lost.", Format(messages.LossTimeout), examples: ["5s"])),
                    ("maxReceiveSize", Describe(Integer(MessagesSpec.MinReceiveSize, MessagesSpec.MaxReceiveSizeLimit),
                        "Largest message a client accepts from the server, in bytes: a frame announcing more resets the connection unread (disconnect cause message-too-big).", messages.MaxReceiveSize, examples: [1048576])),
                ])),
                ("heartbeat", Heartbeat()),
                ("socketio", Object("protocol socketio only: what each client speaks over Engine.IO v4 / Socket.IO v5.",
                [
                    ("namespace", Describe(Pattern(SocketioSpec.NamePattern), "The namespace every client connects (40) to.", "/", examples: ["/chat"])),
                    ("path", Describe(Pattern(SocketioSpec.NamePattern), "The server's Engine.IO path; the client adds ?EIO=4&transport=websocket.", "/socket.io/", examples: ["/socket.io/"])),
                    ("event", Describe(Pattern(SocketioSpec.EventPattern), "The event each message is emitted as (42[\"event\",...args]).", "message", examples: ["message"])),
                    ("args", Describe(Pattern(@"^\s*\[[\s\S]*\]\s*$"),
                        "The event's arguments after its name, a JSON array as text; {seq}, {ts}, {client} and {body} (x padding up to messages.size) are filled per message. Default: one object {\"seq\",\"t\",\"p\"}.",
                        examples: ["[{\"room\":\"r1\",\"seq\":{seq},\"text\":\"{body}\"}]"])),
                    ("ack", Describe(new JsonObject { ["type"] = "boolean" },
                        "Each event asks for an ack (42<id>[...] answered 43<id>[...]): RTT, lost after lossTimeout, duplicates. false: emitted without an id, counted messages_sent and messages_unacked only.", true)),
                    ("push", Object("Server-emitted events whose first argument carries a sequence number: pushes_lost, pushes_duplicated, pushes_reordered, one stream per event. Without it every server event is only counted.",
                    [
                        ("event", Describe(AnyOf(Pattern(SocketioSpec.EventPattern),
                                new JsonObject { ["type"] = "array", ["minItems"] = 1, ["maxItems"] = SocketioSpec.MaxPushEvents, ["uniqueItems"] = true, ["items"] = Pattern(SocketioSpec.EventPattern) }),
                            "The event's name, or a list of names.", examples: ["tick", new JsonArray("tick", "news")])),
                        ("sequence", Describe(Pattern(SocketioSpec.FieldPattern), "The field of the first argument holding the number.", examples: ["seq"])),
                    ], required: ["event", "sequence"], example: new JsonObject { ["event"] = "tick", ["sequence"] = "seq" })),
                    ("recovery", Describe(new JsonObject { ["type"] = "boolean" }, "Connection state recovery: present the server's pid and the last offset on reconnect (socketio_recovered).", false)),
                ])),
                ("network", Object("Link shaping in each client's own stream: a named profile, inline values (which replace the profile's), and source addresses.",
                [
                    ("profile", Describe(Enum(Sorted(vocab.LinkProfiles)), "A named link profile.", examples: ["ethernet", "4g"])),
                    ("latency", Describe(Ref("duration"), "One-way delay added to each direction.", examples: ["40ms"])),
                    ("jitter", Describe(Ref("duration"), "Random extra delay, up to this much.", examples: ["10ms"])),
                    ("bandwidthDown", Describe(Ref("bandwidth"), "Server-to-client bandwidth.", examples: ["30Mbps"])),
                    ("bandwidthUp", Describe(Ref("bandwidth"), "Client-to-server bandwidth.", examples: ["10Mbps"])),
                    ("loss", Describe(Ref("lossPercent"), "Packet loss, modelled as TCP shows it: a retransmission delay.", examples: ["0.5%"])),
                    ("sourceAddresses", Describe(AnyOf(Ref("loopbackRange"), new JsonObject { ["type"] = "array", ["items"] = Ref("loopbackRange") }),
                        "Ranges inside 127.0.0.0/8 the clients bind their sockets to (one address per client).", examples: ["127.0.1.0/24"])),
                ])),
                ("reconnect", Object("When a client reconnects after losing its connection.",
                [
                    ("policy", Describe(Enum(Sorted(vocab.ReconnectPolicies)), "immediate; fixed (base); exponential (base * 2^(n-1), capped at max).", reconnect.Policy)),
                    ("base", Describe(Ref("duration"), "First (or fixed) delay.", Format(reconnect.Base), examples: ["100ms"])),
                    ("max", Describe(Ref("positiveDuration"), "Longest delay (exponential); not below base.", Format(reconnect.Max), examples: ["30s"])),
                    ("jitter", Describe(Enum<JitterKind>(), "none; equal: half fixed, half random; full: anywhere from 0 to the delay.", reconnect.Jitter.Spelled())),
                    ("maxAttempts", Describe(Integer(0, int.MaxValue), "Attempts before a client gives up; 0 = until the run ends.", reconnect.MaxAttempts, examples: [5])),
                ])),
                ("auth", Auth(jwt, refresh)),
                ("signalr", Signalr()),
                ("connect", Connect()),
                ("population", Population(vocab, flapping, zombie, switching, malformed)),
                ("thresholds", Thresholds()),
                ("embeddedTarget", EmbeddedTarget()),
                ("cluster", Object("How the run uses a silo cluster.",
                [
                    ("onSiloLoss", Describe(Enum("reactivate", "count"),
                        "When a silo is lost mid-run: reactivate its clients on the surviving silos, or only count them as lost.", "reactivate")),
                ])),
                ("report", Object("What report.json keeps beyond the metrics.",
                [
                    ("timelines", Describe(Integer(0, SimCluster.Abstractions.Plans.TimelineSample.MaxCount),
                        "Clients whose every state change (connecting, open, dropped with its cause, waiting, switches, zombie episodes) the report lists; sampled deterministically, spread over the groups. 0 = none.",
                        report.Timelines, examples: [10])),
                    ("timelineEvents", Describe(Integer(ReportSpec.MinTimelineEvents, ReportSpec.MaxTimelineEvents),
                        "Most events one sampled client keeps; later ones are only counted.", report.TimelineEvents, examples: [500])),
                ])),
                ("allowTargets", Describe(AnyOf(Ref("hostOrUrl"), new JsonObject { ["type"] = "array", ["items"] = Ref("hostOrUrl") }),
                    "Non-loopback hosts this scenario may target (hosts, host:port or URLs); loopback is always allowed.", examples: ["ws.example.test"])),
            ],
            required: ["name", "target"]);
        // clients and duration are required unless stages give them (the peak and the stages' total).
        root["anyOf"] = new JsonArray(
            new JsonObject { ["required"] = new JsonArray("clients", "duration") },
            new JsonObject { ["required"] = new JsonArray("stages") });
        // App-level heartbeats are the protocol's own ping frames: only session, json and graphql-ws have them.
        var appLevel = new JsonObject
        {
            ["if"] = new JsonObject { ["not"] = KeyIsOneOf("protocol", ProtocolKind.Session.Spelled(), ProtocolKind.Json.Spelled(), ProtocolKind.GraphqlWs.Spelled()) },
            ["then"] = new JsonObject
            {
                ["properties"] = new JsonObject
                {
                    ["heartbeat"] = new JsonObject { ["properties"] = new JsonObject { ["appLevel"] = new JsonObject { ["const"] = false } } },
                },
            },
        };
        // The json block describes protocol: json's frames, and that protocol cannot run without it.
        var jsonBlock = new JsonObject
        {
            ["if"] = KeyIs("protocol", ProtocolKind.Json.Spelled()),
            ["then"] = new JsonObject { ["required"] = new JsonArray("json") },
            ["else"] = new JsonObject { ["not"] = new JsonObject { ["required"] = new JsonArray("json") } },
        };
        // The socketio block belongs to protocol socketio.
        var socketioBlock = new JsonObject
        {
            ["if"] = new JsonObject { ["not"] = KeyIs("protocol", ProtocolKind.Socketio.Spelled()) },
            ["then"] = new JsonObject { ["properties"] = new JsonObject { ["socketio"] = Forbidden("the socketio block needs protocol: socketio") } },
        };
        root["allOf"] = new JsonArray(appLevel, jsonBlock, socketioBlock);

        var schema = new JsonObject
        {
            ["$schema"] = Draft,
            ["$comment"] = $"Generated from the scenario validator's vocabulary; do not edit. Regenerate with: {RegenerateCommand}",
            ["title"] = "SimCluster scenario",
        };
        root.Remove("examples");
        foreach (var (key, value) in root.ToList())
        {
            root.Remove(key);
            schema[key] = value;
        }
        schema["$defs"] = Definitions();
        return schema;
    }

    /// <summary>The schema as published: indented, LF line ends, a final newline.</summary>
    public static string GenerateText(ScenarioVocabulary? vocabulary = null) =>
        Generate(vocabulary).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .ReplaceLineEndings("\n") + "\n";

    private static JsonObject Definitions()
    {
        var durationForm = $"{SimCluster.Scenarios.Units.DurationForm}; 0 alone is zero";
        return new JsonObject
        {
            ["duration"] = Describe(AnyOf(Pattern(DurationPattern), new JsonObject { ["const"] = 0 }), durationForm),
            ["positiveDuration"] = Describe(Pattern(PositiveDurationPattern), $"{SimCluster.Scenarios.Units.DurationForm}, above 0s"),
            ["zeroDuration"] = AnyOf(Pattern(@"^\s*(?:0|(?:0+(?:\.0+)?(?:ms|s|m|h))+)\s*$"), new JsonObject { ["const"] = 0 }),
            ["range"] = Describe(AnyOf(Pattern(RangePattern), new JsonObject { ["const"] = 0 }), $"{SimCluster.Scenarios.Units.RangeForm} (drawn uniformly, seeded)"),
            ["positiveRange"] = Describe(Pattern(PositiveRangePattern), $"{SimCluster.Scenarios.Units.RangeForm}, with a minimum above 0s"),
            ["bandwidth"] = Describe(Pattern(BandwidthPattern), SimCluster.Scenarios.Units.BandwidthForm),
            ["share"] = Describe(Pattern(@"^\s*" + NonZero + PercentUpTo100 + @"\s*%\s*$"), "a percentage above 0% and at most 100%, like 20%"),
            ["lossPercent"] = Describe(AnyOf(Pattern(@"^\s*(?:0|" + PercentUpTo100 + @"\s*%)\s*$"), new JsonObject { ["const"] = 0 }),
                "a percentage from 0% to 100%, like 0.5%"),
            ["wsUrl"] = Describe(Pattern(@"^wss?://[^\s/?#]+\S*$"), "a ws:// or wss:// URL"),
            ["httpUrl"] = Describe(Pattern(@"^https?://[^\s/?#]+\S*$"), "an http:// or https:// URL"),
            ["hostOrUrl"] = Describe(Pattern(@"^\S*$"), "a host, host:port or URL"),
            ["loopbackRange"] = Describe(Pattern($@"^127\.{Octet}\.{Octet}\.{Octet}(?:/(?:[89]|[12]\d|3[0-2]))?$"), "an address or range in 127.0.0.0/8, like 127.0.1.0/24"),
        };
    }

    private static JsonObject EmbeddedTarget()
    {
        var embedded = Object("Options of the reference target a run starts itself (target: embedded; ignored when the target is a URL); the same as ./simcluster target's options.",
        [
            ("heartbeatInterval", Describe(Ref("duration"), "Server WebSocket PING interval; 0 = off.", examples: ["1s"])),
            ("heartbeatTimeout", Describe(Ref("duration"), "Close a connection whose PONG is this late; 0 = off. Needs heartbeatInterval.", examples: ["2s"])),
            ("echoDelay", Describe(Ref("duration"), "Delay before each echo.", examples: ["50ms"])),
            ("maxMessageSize", Describe(Integer(125, 64 * 1024 * 1024), "Largest message accepted, in bytes (larger: close 1009).", examples: [65536])),
            ("authClockSkew", Describe(Ref("duration"), "Token checks (auth.jwt): how far past exp a token is still accepted, and the grace before the 4001 close.", "0s", examples: ["2s"])),
            ("authEnforceExpiry", Describe(new JsonObject { ["type"] = "boolean" }, "Token checks: close a connection with 4001 when its token expires (the SignalR hub: CloseOnAuthenticationExpiration); false = never.", true)),
            ("signalr", EmbeddedSignalR()),
        ]);
        embedded["if"] = new JsonObject { ["not"] = new JsonObject { ["required"] = new JsonArray("heartbeatInterval") } };
        embedded["then"] = new JsonObject { ["properties"] = new JsonObject { ["heartbeatTimeout"] = Ref("zeroDuration") } };
        return embedded;
    }

    private static JsonObject Signalr()
    {
        var d = new SimCluster.Scenarios.SignalrSpec();
        return Object("protocol: signalr only: the hub method each message invokes, the keep-alive and server timeout, negotiate and stateful reconnect, and the pushes counted.",
        [
            ("method", Describe(Pattern(@"^\S+$"), "The hub method each message invokes (an invocation, type 1; its completion closes the round trip).", d.Method, examples: ["Echo"])),
            ("arguments", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 2 }, "The invocation's arguments: a JSON array as text, with {seq}, {ts}, {client} and {body} (x padding up to messages.size) replaced per message. Default: one string of messages.size.", examples: ["[\"{body}\"]", "[{\"seq\":{seq},\"ts\":{ts}}]"])),
            ("keepAliveInterval", Describe(Ref("positiveDuration"), "The client pings (type 6) this often; an app-dead zombie stops, so the hub's ClientTimeoutInterval evicts it.", Format(d.KeepAliveInterval), examples: ["1s"])),
            ("serverTimeout", Describe(Ref("positiveDuration"), "Nothing from the hub for this long: the connection is lost (heartbeat_timeouts, cause heartbeat:server-timeout), as in the .NET client. Longer than keepAliveInterval.", Format(d.ServerTimeout), examples: ["10s"])),
            ("statefulReconnect", Describe(new JsonObject { ["type"] = "boolean" }, "Ask for stateful reconnect in negotiate; when granted, a reconnect within serverTimeout resumes the connection with the same token, acks (type 8) and sequence messages (type 9) replay what was not acknowledged. Not with skipNegotiation.", d.StatefulReconnect)),
            ("skipNegotiation", Describe(new JsonObject { ["type"] = "boolean" }, "Open the WebSocket without the negotiate request (no connection token, so no stateful reconnect).", d.SkipNegotiation)),
            ("pushTarget", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "Server invocations of this target count as pushes (pushes_received); default: every server invocation.", examples: ["push"])),
            ("pushSequence", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "The field of a push's first argument that numbers it: gaps, duplicates and reordering per target (pushes_lost, pushes_duplicated, pushes_reordered).", examples: ["seq"])),
        ]);
    }

    private static JsonObject Connect()
    {
        var secretHint = "Not allowed: secrets written into a scenario end up in version control and reports. Use secretEnv or secretFile.";
        var secret = OneOfRequired(Object("A secret by reference, read by each silo itself: exactly one of secretEnv or secretFile.",
                [
                    ("secret", Forbidden(secretHint)),
                    ("secretEnv", Describe(Pattern("^[A-Za-z_][A-Za-z0-9_]*$"), "Environment variable holding the value.", examples: ["SIM_API_KEY"])),
                    ("secretFile", Describe(new JsonObject { ["type"] = "string" }, "File holding the value (relative to the scenario file; a final line break is dropped).", examples: ["secrets/api.key"])),
                ]), "secretEnv", "secretFile");
        const string Placeholders = "{client} (the client index), {seq} (the connect attempt, 1, 2, ...) and {ts} (its time, UTC ms) are filled in per connect";
        var value = Describe(AnyOf(
                Describe(Pattern(@"^(?![\s\S]*\{body\})[^\x00-\x08\x0a-\x1f\x7f]*$"), $"Text; {Placeholders}."),
                secret.DeepClone().AsObject()),
            "A literal value (a template) or a secret by reference.");
        var origin = AnyOf(
            Describe(Pattern(@"^(?:null|[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@]+)$"), $"scheme://host[:port], or null; {Placeholders}."),
            secret.DeepClone().AsObject());
        const string Token = @"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$";
        return Object("The upgrade request every protocol shares (both drivers): subprotocols offered, extra headers and Origin, query parameters, the CAs a wss:// server is checked against. Connect failures it causes are classified (connectErrors no-subprotocol, unoffered-subprotocol, secret-unavailable).",
        [
            ("subprotocols", Describe(new JsonObject { ["type"] = "array", ["minItems"] = 1, ["uniqueItems"] = true, ["items"] = Pattern(Token) },
                "Offered in Sec-WebSocket-Protocol, in order of preference, after the protocol's own (graphql-ws offers graphql-transport-ws). The server must choose one of them: a 101 with none is connectErrors no-subprotocol, one not offered unoffered-subprotocol.",
                examples: [new JsonArray("chat.v2", "chat.v1")])),
            ("origin", Describe(origin, "The Origin header: scheme://host[:port] (or null), literal or a secret by reference.", examples: ["https://app.example.com"])),
            ("headers", Describe(new JsonObject
                {
                    ["type"] = "object",
                    ["propertyNames"] = new JsonObject
                    {
                        ["pattern"] = Token,
                        // JSON Schema regexes have no (?i): each letter is spelled as [xX].
                        ["not"] = new JsonObject { ["pattern"] = "^(?:" + string.Concat("host|upgrade|connection|keep-alive|proxy-connection|te|trailer|transfer-encoding|content-length|origin|sec-websocket-".Select(c => char.IsLetter(c) ? $"[{c}{char.ToUpperInvariant(c)}]" : c.ToString())).Replace("[sS][eE][cC]-[wW][eE][bB][sS][oO][cC][kK][eE][tT]-", "[sS][eE][cC]-[wW][eE][bB][sS][oO][cC][kK][eE][tT]-.*") + ")$" },
                    },
                    ["additionalProperties"] = value.DeepClone(),
                },
                "Extra request headers of the upgrade, name: value. Not Host, Upgrade, Connection, Sec-WebSocket-* or other hop-by-hop headers (the client writes those), nor Origin (see origin), nor Authorization with auth.send: header.",
                examples: [new JsonObject { ["X-Tenant"] = "tenant-{client}", ["X-Api-Key"] = new JsonObject { ["secretEnv"] = "SIM_API_KEY" } }])),
            ("query", Describe(new JsonObject { ["type"] = "object", ["propertyNames"] = new JsonObject { ["minLength"] = 1 }, ["additionalProperties"] = value.DeepClone() },
                "Query parameters appended to the target URL (and so to SignalR's negotiate request), name: value, URL-encoded. Not the ones the protocol or auth sets (token with auth.send: query; id and access_token with signalr; EIO and transport with socketio).",
                examples: [new JsonObject { ["user"] = "user-{client}", ["attempt"] = "{seq}" }])),
            ("caFile", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                "A PEM file of CA certificates (relative to the scenario file): a wss:// server's certificate must chain to one of them instead of to the system's trust store, and still be for the target's host. For a private CA or a test server's own certificate. SignalR's negotiate request (HTTPS) still uses the system's trust store: use signalr.skipNegotiation against such a hub.",
                examples: ["certs/internal-ca.pem"])),
        ]);
    }

    private static JsonObject EmbeddedSignalR()
    {
        var hub = SimCluster.Scenarios.EmbeddedSignalRSpec.TargetDefaults;
        // Case-insensitive, as the target matches paths: /ws, /stats, /metrics and /health are its own.
        const string reserved = @"(?:[Ww][Ss]|[Ss][Tt][Aa][Tt][Ss]|[Mm][Ee][Tt][Rr][Ii][Cc][Ss]|[Hh][Ee][Aa][Ll][Tt][Hh])/*$";
        return Object("The reference target's SignalR hub (ASP.NET Core SignalR, JSON protocol; protocol: signalr). Tokens are checked with auth's key, as on the WebSocket endpoint.",
        [
            ("path", Describe(Pattern($@"^/(?!{reserved})[^\s?#]+$"), "Hub path; negotiate at PATH/negotiate. Not /ws, /stats, /metrics or /health.", hub.Path!, examples: ["/hub"])),
            ("keepAliveInterval", Describe(Ref("positiveDuration"), "The hub sends a ping (type 6) after this long without sending anything (KeepAliveInterval).", Format(hub.KeepAliveInterval!.Value), examples: ["1s"])),
            ("clientTimeout", Describe(Ref("positiveDuration"), "The hub drops a client that sent nothing, not even a ping, for this long (ClientTimeoutInterval): how app-dead zombies are evicted.", Format(hub.ClientTimeout!.Value), examples: ["3s"])),
            ("pushInterval", Describe(Ref("duration"), "Every connected client gets a push invocation with {seq, ts} this often; 0 = none.", "0s", examples: ["1s"])),
            ("statefulReconnect", Describe(new JsonObject { ["type"] = "boolean" }, "Allow stateful reconnect (AllowStatefulReconnects).", hub.StatefulReconnect!.Value)),
            ("statefulReconnectBufferSize", Describe(Integer(1, SimCluster.Scenarios.EmbeddedSignalRSpec.MaxBufferSize), "Bytes of unacknowledged messages kept per connection for replay (StatefulReconnectBufferSize); past it the hub's sends wait for an ack and pushes are skipped.", hub.StatefulReconnectBufferSize!.Value, examples: [1000])),
            ("reconnectWindow", Describe(Ref("positiveDuration"), "How long a dropped connection waits for its stateful reconnect (DisconnectTimeout).", Format(hub.ReconnectWindow!.Value), examples: ["5s"])),
        ]);
    }

    /// <summary>A test on a frame: path (with value where <paramref name="valueAllowed"/>) or regex, exactly one.</summary>
    private static JsonObject FrameMatch(string description, bool valueAllowed, JsonObject example)
    {
        var keys = new List<(string, JsonObject)>
        {
            ("path", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "A JSON path: names joined by dots, indices in brackets, an optional leading $. (re, result.id, items[0].id).", examples: ["re"])),
            ("regex", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "A .NET regular expression on the frame's text" + (valueAllowed ? "." : "; its first capture group is the value (the whole match without one)."), examples: [valueAllowed ? "\"error\"" : "\"re\":(\\d+)"])),
        };
        if (valueAllowed)
            keys.Add(("value", Describe(new JsonObject { ["type"] = new JsonArray("string", "number", "boolean") }, "With path: the value must equal this (a string's text, or a number's or literal's JSON text); without it, the path existing is enough.", examples: ["pong"])));
        var match = Object(description, keys, example: example);
        match["oneOf"] = new JsonArray(new JsonObject { ["required"] = new JsonArray("path") }, new JsonObject { ["required"] = new JsonArray("regex") });
        if (valueAllowed) match["dependentRequired"] = new JsonObject { ["value"] = new JsonArray("path") };
        return match;
    }

    private static JsonObject Json()
    {
        var template = "A JSON frame template: {seq} (the request number), {ts} (UTC milliseconds), {client} (the client index) and {body} (padding 'x' to messages.size) are filled in; the result must be valid JSON.";
        return Object("protocol: json: the frames of any request/response protocol over text frames. Needs protocol: json (and protocol: json needs it).",
        [
            ("send", Describe(Pattern(@"\{seq\}"), template + " Must contain {seq}.", examples: ["{\"op\":\"add\",\"id\":{seq},\"a\":{seq},\"b\":1}"])),
            ("correlate", FrameMatch("How a reply names its request: the path of the field holding {seq}, or a regex capturing it. A frame without it is no reply.", false, new JsonObject { ["path"] = "re" })),
            ("error", FrameMatch("A reply that matches this is an error reply: messages_failed instead of messages_received.", true, new JsonObject { ["path"] = "error" })),
            ("heartbeat", Object("The app-level ping, sent with heartbeat.appLevel: true every heartbeat.interval, its pong expected within heartbeat.timeout (heartbeat_rtt, heartbeat_timeouts).",
            [
                ("send", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "The ping frame; " + template, examples: ["{\"op\":\"ping\",\"t\":{ts}}"])),
                ("expect", FrameMatch("A frame that matches this is the pong.", true, new JsonObject { ["path"] = "op", ["value"] = "pong" })),
            ], required: ["send", "expect"], example: new JsonObject { ["send"] = "{\"op\":\"ping\"}", ["expect"] = new JsonObject { ["path"] = "op", ["value"] = "pong" } })),
            ("pushes", Object("Frames the server sends on its own (pushes_received; with sequence: pushes_lost, pushes_duplicated, pushes_reordered). A frame that is a reply is never a push.",
            [
                ("filter", FrameMatch("A frame that matches this is a push.", true, new JsonObject { ["path"] = "op", ["value"] = "tick" })),
                ("sequence", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "The JSON path of the push's sequence number (one stream per client); without it pushes are only counted.", examples: ["n"])),
            ], required: ["filter"], example: new JsonObject { ["filter"] = new JsonObject { ["path"] = "op", ["value"] = "tick" } })),
            ("refresh", Object("In-band token refresh (auth.refresh.mode: in-band) in this protocol's frames; the same as auth.refresh.message/expect/reject, which still work (give one of the two).",
            [
                ("message", Describe(Pattern(@"\{token\}"), "The refresh frame, {token} standing for the new token.", examples: ["{\"op\":\"reauth\",\"jwt\":\"{token}\"}"])),
                ("expect", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "A server frame containing this acknowledges the refresh.", examples: ["\"op\":\"reauthed\""])),
                ("reject", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "A server frame containing this rejects it.", examples: ["\"op\":\"denied\""])),
            ], required: ["message", "expect"], example: new JsonObject { ["message"] = "{\"op\":\"reauth\",\"jwt\":\"{token}\"}", ["expect"] = "reauthed" })),
        ], required: ["send", "correlate"], example: new JsonObject { ["send"] = "{\"op\":\"add\",\"id\":{seq}}", ["correlate"] = new JsonObject { ["path"] = "re" } });
    }

    private static JsonObject Heartbeat()
    {
        var heartbeat = Object("Client-sent pings, measured as heartbeat_rtt.",
        [
            ("interval", Describe(Ref("duration"), "Time between pings; 0 = off.", "0s", examples: ["5s"])),
            ("timeout", Describe(Ref("duration"), "Give the connection up (heartbeat_timeouts, cause heartbeat:timeout, then reconnect by the policy) when a ping has had no answer for this long; 0 = never. Needs interval above 0s.", "0s", examples: ["2s"])),
            ("appLevel", Describe(new JsonObject { ["type"] = "boolean" }, "Send the protocol's own ping frames instead of WebSocket PING frames: the session protocol's {\"type\":\"ping\",\"ts\":T}, json.heartbeat's frame or graphql-transport-ws's ping, timed by their pong. Needs interval above 0s and protocol: session, graphql-ws, or json with json.heartbeat.", false)),
        ]);
        // Without pings, a timeout or application-level pings mean nothing.
        heartbeat["if"] = new JsonObject
        {
            ["anyOf"] = new JsonArray(
                new JsonObject { ["not"] = new JsonObject { ["required"] = new JsonArray("interval") } },
                new JsonObject { ["properties"] = new JsonObject { ["interval"] = Ref("zeroDuration") } }),
        };
        heartbeat["then"] = new JsonObject
        {
            ["properties"] = new JsonObject { ["timeout"] = Ref("zeroDuration"), ["appLevel"] = new JsonObject { ["const"] = false } },
        };
        return heartbeat;
    }

    private static JsonObject Auth(JwtSpec jwt, RefreshSpec refresh)
    {
        const string secretHint = "Not allowed: secrets written into a scenario end up in version control and reports. Use secretEnv or secretFile.";
        var auth = Object("Tokens for the target: minted locally (jwt) or fetched (tokenUrl), exactly one of the two.",
        [
            ("secret", Forbidden(secretHint)),
            ("jwt", OneOfRequired3(Object("A JWT signed by SimCluster, subject client-N; the key comes from an environment variable or a file, or is generated for the run: exactly one of the three.",
            [
                ("secret", Forbidden(secretHint)),
                ("secretEnv", Describe(Pattern("^[A-Za-z_][A-Za-z0-9_]*$"), "Environment variable holding the key (HS*: a secret of 32+ bytes; RS*: a PEM RSA private key).", examples: ["SIM_JWT_SECRET"])),
                ("secretFile", Describe(new JsonObject { ["type"] = "string" }, "File holding the key (relative to the scenario file).", examples: ["secrets/jwt.key"])),
                ("generateKey", Describe(new JsonObject { ["type"] = "boolean" }, "A random key made for this run only and handed to the embedded target (needs the in-process silo).", false)),
                ("algorithm", Describe(Enum("HS256", "HS384", "HS512", "RS256", "RS384", "RS512"), "Signing algorithm; HS*: the target checks with the same secret, RS*: with the public key.", jwt.Algorithm)),
                ("lifetime", Describe(Ref("positiveDuration"), "Token lifetime.", Format(jwt.Lifetime), examples: ["60s"])),
                ("badSignature", Describe(AnyOf(
                        Pattern(@"^(?:\s*(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)\s*%\s*|0+)$"),
                        new JsonObject { ["const"] = 0 }), "Failure injection: share of tokens signed with a key the target does not know.", "0%", examples: ["100%"])),
                ("clockAhead", Describe(Ref("duration"), "Failure injection: the client's clock runs this far ahead (iat/nbf/exp and its refresh timing).", examples: ["20s"])),
                ("clockBehind", Describe(Ref("duration"), "Failure injection: the client's clock runs this far behind.", examples: ["20s"])),
                ("alignExpiry", Describe(new JsonObject { ["type"] = "boolean" }, "Failure injection: every token expires on the same instants (multiples of lifetime): a refresh storm.", false)),
            ], example: new JsonObject { ["secretEnv"] = "SIM_JWT_SECRET" }), "secretEnv", "secretFile", "generateKey")),
            ("tokenUrl", Describe(Ref("httpUrl"), "An http(s) URL answering {access_token, expires_in}.", examples: ["http://127.0.0.1:8081/token"])),
            ("send", Describe(Enum<TokenPlacement>(), "query: ?token=...; header: Authorization: Bearer ...; protocol: in the protocol's own handshake (protocols that carry a token)", new AuthSpec().Send.Spelled())),
            ("fetchTimeout", Describe(Ref("positiveDuration"), "Bound on one request to tokenUrl.", "5s")),
            ("refresh", WithDependencies(Object("When and how a client renews its token.",
            [
                ("mode", Describe(Enum<RefreshMode>(), "in-band: auth.refresh frame (protocol: session); reconnect: a new connection with a new token; none: let it expire.", refresh.Mode.Spelled())),
                ("before", Describe(Ref("duration"), "How long before expiry the client refreshes; shorter than jwt.lifetime.", Format(refresh.Before), examples: ["10s"])),
                ("late", Describe(Ref("duration"), "Failure injection: refresh this long after expiry instead (before is then ignored).", examples: ["2s"])),
                ("timeout", Describe(Ref("positiveDuration"), "How long to wait for auth.refreshed / auth.rejected.", Format(refresh.Timeout))),
                ("replayOld", Describe(new JsonObject { ["type"] = "boolean" }, "Failure injection: after each in-band refresh, offer the previous token again (token_replays_accepted).", false)),
                ("message", Describe(Pattern(@"\{token\}"), "In-band refresh for a server without the session protocol: the text frame to send, {token} standing for the new token, e.g. {\"op\":\"reauth\",\"jwt\":\"{token}\"}. Needs expect.")),
                ("expect", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "With message: a server text frame containing this acknowledges the refresh, e.g. \"op\":\"reauthed\".")),
                ("reject", Describe(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, "With message: a server text frame containing this refuses it (optional).")),
            ]))),
        ], example: new JsonObject { ["jwt"] = new JsonObject { ["secretEnv"] = "SIM_JWT_SECRET" } });
        return OneOfRequired(auth, "jwt", "tokenUrl");
    }

    private static JsonObject Population(ScenarioVocabulary vocab, FlappingSpec flapping, ZombieSpec zombie, SwitchingSpec switching, MalformedSpec malformed)
    {
        var dropModes = Enum<DropMode>();
        var behaviors = Sorted(vocab.Behaviors);
        var group = Object("A group of clients sharing a behaviour.",
        [
            ("name", Describe(Pattern(ScenarioBinder.NamePattern().ToString()), $"Group name, unique: {ScenarioBinder.NameForm}. Used in group thresholds like reconnect_time{{group:NAME}}.", examples: ["flappers"])),
            ("share", Describe(Ref("share"), "Share of all clients; shares sum to 100%. A lone group may leave it out.", examples: ["20%", "100%"])),
            ("behavior", Describe(Enum(behaviors), "What the group's clients do; every behaviour but steady takes a block of the same name.", "steady")),
            ("flapping", Object("Connections that go up and down.",
            [
                ("up", Describe(Ref("positiveRange"), "Time connected before the drop.", FormatRange(flapping.Up), examples: ["2s..5s"])),
                ("down", Describe(Ref("range"), "Outage before reconnecting.", FormatRange(flapping.Down), examples: ["100ms..1s"])),
                ("drop", Describe(AnyOf(dropModes.DeepClone().AsObject(), new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = dropModes.DeepClone() }),
                    "close: a clean WebSocket close; reset: TCP RST; blackhole: traffic stops silently. A list mixes them, one drawn per cycle.",
                    flapping.Drop.Spelled(), examples: ["reset", new JsonArray("close", "reset", "blackhole")])),
                ("cycles", Describe(Integer(0, int.MaxValue), "Up/down cycles per client; 0 = until the run ends.", flapping.Cycles, examples: [20])),
            ], example: new JsonObject { ["up"] = "1s..3s", ["cycles"] = 5 })),
            ("zombie", WithRule(Object("Clients that turn into zombies; measures how fast the server evicts them.",
            [
                ("kind", Describe(Enum(Sorted(vocab.ZombieKinds)), "How the client plays dead.", examples: ["silent-app"])),
                ("after", Describe(Ref("duration"), "Healthy time after connecting.", Format(zombie.After), examples: ["5s"])),
                ("observeFor", Describe(Ref("positiveDuration"), "How long a zombie waits for the server to give up on it.", Format(zombie.ObserveFor), examples: ["30s"])),
                ("expectDetectWithin", Describe(Ref("positiveDuration"), "The eviction bound the server is configured for; at most observeFor.", examples: ["10s"])),
                ("readBytesPerSecond", Describe(new JsonObject { ["type"] = "integer", ["minimum"] = 1 }, "slow-reader only: bytes read per second.", examples: [1024])),
            ], required: ["kind"], example: new JsonObject { ["kind"] = "silent-app" }),
                "dependentSchemas", new JsonObject { ["readBytesPerSecond"] = KeyIs("kind", "slow-reader") })),
            ("switching", WithRule(Object("Clients that hop between simulated network interfaces.",
            [
                ("interfaces", Describe(new JsonObject { ["type"] = "array", ["items"] = Enum(Sorted(vocab.LinkProfiles)) },
                    "Link profiles visited in turn; may be empty only with natRebinding.", examples: [new JsonArray("wifi-good", "4g")])),
                ("every", Describe(Ref("positiveRange"), "Time between switches.", FormatRange(switching.Every), examples: ["5s..15s"])),
                ("mode", Describe(Enum<SwitchMode>(), "Whether the new path opens before or after the old one goes.", switching.Mode.Spelled())),
                ("gap", Describe(Ref("duration"), "Dead time between losing the old path and opening the new one.", "0s", examples: ["500ms"])),
                ("oldPath", Describe(Enum<OldPathFate>(), "What the server sees of the abandoned connection.", switching.OldPath.Spelled())),
                ("natRebinding", Describe(new JsonObject { ["type"] = "boolean" }, "Same address, new source port on each switch.", false)),
            ], example: new JsonObject { ["interfaces"] = new JsonArray("wifi-good", "4g") }),
                "if", new JsonObject { ["not"] = KeyIs("natRebinding", true) },
                "then", new JsonObject { ["required"] = new JsonArray("interfaces"), ["properties"] = new JsonObject { ["interfaces"] = new JsonObject { ["minItems"] = 1 } } })),
            ("malformed", Object("Clients sending malformed input; a share of the group stays healthy as canaries.",
            [
                ("cases", Describe(AnyOf(
                        new JsonObject { ["const"] = "all" },
                        new JsonObject { ["type"] = "array", ["minItems"] = 1, ["uniqueItems"] = true, ["items"] = Enum(Sorted(vocab.MalformedCases)) }),
                    "all, or a list of case ids.", examples: ["all", new JsonArray("F01", "F11")])),
                ("canaryShare", Describe(AnyOf(
                        Pattern(@"^(?:\s*\d{1,2}(?:\.\d+)?\s*%\s*|0+(?:\.\d+)?|0*\.\d+)$"),
                        new JsonObject { ["type"] = "number", ["minimum"] = 0, ["exclusiveMaximum"] = 1 }),
                    "Share of the group that behaves well, from 0% up to but not including 100% (or 0.2).", "20%", examples: ["20%", 0.2])),
            ], required: ["cases"], example: new JsonObject { ["cases"] = "all" })),
        ], required: ["name"]);

        // Each behaviour block belongs to its behaviour; zombie, switching and malformed need theirs.
        var rules = new JsonArray();
        foreach (var block in new[] { "zombie", "switching", "malformed" })
            rules.Add(new JsonObject { ["if"] = KeyIs("behavior", block), ["then"] = new JsonObject { ["required"] = new JsonArray(block) } });
        group["allOf"] = rules;
        group["dependentSchemas"] = new JsonObject(new[] { "flapping", "zombie", "switching", "malformed" }
            .Select(b => KeyValuePair.Create(b, (JsonNode?)KeyIs("behavior", b))));

        return new JsonObject
        {
            ["description"] = "Groups of clients by share; the shares sum to 100%. Left out: one steady group with every client.",
            ["type"] = "array",
            ["minItems"] = 1,
            ["items"] = group,
            // A lone group may leave out its share; with two or more, every group says its share.
            ["if"] = new JsonObject { ["minItems"] = 2 },
            ["then"] = new JsonObject { ["items"] = new JsonObject { ["required"] = new JsonArray("share") } },
            ["examples"] = new JsonArray(new JsonArray(new JsonObject { ["name"] = "steady", ["share"] = "100%" })),
        };
    }

    /// <summary>Metric keys (optionally with a group tag) to expressions, one pattern per metric kind so each kind allows its aggregations.</summary>
    private static JsonObject Thresholds()
    {
        var patterns = new JsonObject();
        foreach (var kind in System.Enum.GetValues<MetricKind>())
        {
            var metrics = MetricNames.All.Where(m => m.Value == kind).Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
            if (metrics.Count == 0)
                continue;
            var aggregations = ThresholdRules.AllowedFor(kind);
            var aggregationText = string.Join("|", aggregations.Select(a => a == Aggregation.Percentile
                ? @"p\s*\(\s*(?=[\d.]*[1-9])" + PercentUpTo100 + @"\s*\)"
                : a.ToString().ToLowerInvariant()));
            // Counts may be relative to the plan: count>=20*clients, count>=0.99*messages_planned (a counter of the run).
            var counters = MetricNames.All.Where(m => m.Value == MetricKind.Counter).Select(m => m.Key).Order(StringComparer.Ordinal);
            var limit = kind == MetricKind.Counter
                ? $@"{NumberPattern}(?:\s*\*\s*(?:clients|{string.Join("|", counters)}))?\s*$"
                : NumberPattern + @"\s*$";
            var expression = Describe(Pattern($@"^\s*(?:{aggregationText})\s*(?:<=|>=|==|<|>)\s*{limit}"),
                $"{kind.ToString().ToLowerInvariant()} metric: {string.Join(", ", aggregations.Select(ThresholdRules.Spelling))}, then < <= > >= or ==, then a number" +
                (kind == MetricKind.Counter ? " (count and value: or a number times clients or a counter, like 20*clients)" : ""));
            var key = $@"^(?:{string.Join("|", metrics)})(?:\s*\{{\s*group\s*:\s*[a-z0-9][a-z0-9._-]*\s*\}})?$";
            var longForm = Object("k6's long form: the expression, and whether a failure stops the run while it goes.",
            [
                ("threshold", expression.DeepClone().AsObject()),
                ("abortOnFail", Describe(new JsonObject { ["type"] = "boolean" }, "Check this threshold cluster-wide every second during the run; stop the run when it fails (exit 99).", false)),
                ("delayAbortEval", Describe(Ref("duration"), "Do not abort before this much of the run has passed.", "0s", examples: ["10s"])),
            ], required: ["threshold"]);
            patterns[key] = AnyOf(expression, new JsonObject { ["type"] = "array", ["items"] = AnyOf(expression.DeepClone().AsObject(), longForm) });
        }
        return new JsonObject
        {
            ["description"] = "Metric (optionally one group's: reconnect_time{group:flappers}) to a list of k6-style expressions like p(95)<500 or count==0.",
            ["type"] = "object",
            ["patternProperties"] = patterns,
            ["additionalProperties"] = false,
            ["examples"] = new JsonArray(new JsonObject { ["connect_failures"] = new JsonArray("count==0"), ["reconnect_time"] = new JsonArray("p(95)<500") }),
        };
    }

    /// <summary>refresh.message and refresh.expect go together; reject needs both; a custom frame is for in-band only.</summary>
    private static JsonObject WithDependencies(JsonObject refresh)
    {
        refresh["dependentRequired"] = new JsonObject
        {
            ["message"] = new JsonArray("expect"),
            ["expect"] = new JsonArray("message"),
            ["reject"] = new JsonArray("message", "expect"),
        };
        refresh["if"] = new JsonObject { ["required"] = new JsonArray("message") };
        refresh["then"] = new JsonObject { ["properties"] = new JsonObject { ["mode"] = new JsonObject { ["const"] = RefreshMode.InBand.Spelled() } } };
        return refresh;
    }

    // ---- building blocks ----

    private static JsonObject Object(string description, IEnumerable<(string Key, JsonObject Schema)> properties, string[]? required = null, JsonObject? example = null)
    {
        var result = new JsonObject
        {
            ["description"] = description,
            ["type"] = "object",
            ["properties"] = new JsonObject(properties.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Schema))),
        };
        if (required is { Length: > 0 })
            result["required"] = new JsonArray([.. required.Select(r => (JsonNode?)r)]);
        result["additionalProperties"] = false; // unknown keys are errors
        result["examples"] = new JsonArray(example ?? new JsonObject());
        return result;
    }

    private static JsonObject WithRule(JsonObject schema, params object[] keyValues)
    {
        for (var i = 0; i < keyValues.Length; i += 2)
            schema[(string)keyValues[i]] = (JsonNode)keyValues[i + 1];
        return schema;
    }

    /// <summary>Exactly one of <paramref name="a"/> and <paramref name="b"/> is given.</summary>
    /// <summary>Exactly one of a, b, or c: true (a flag).</summary>
    private static JsonObject OneOfRequired3(JsonObject schema, string a, string b, string c)
    {
        schema["oneOf"] = new JsonArray(
            new JsonObject { ["required"] = new JsonArray(a) },
            new JsonObject { ["required"] = new JsonArray(b) },
            new JsonObject { ["required"] = new JsonArray(c), ["properties"] = new JsonObject { [c] = new JsonObject { ["const"] = true } } });
        return schema;
    }

    private static JsonObject OneOfRequired(JsonObject schema, string a, string b)
    {
        schema["oneOf"] = new JsonArray(
            new JsonObject { ["required"] = new JsonArray(a) },
            new JsonObject { ["required"] = new JsonArray(b) });
        return schema;
    }

    private static JsonObject KeyIs(string key, JsonNode value) => new()
    {
        ["properties"] = new JsonObject { [key] = new JsonObject { ["const"] = value } },
        ["required"] = new JsonArray(key),
    };

    private static JsonObject KeyIsOneOf(string key, params string[] values) => new()
    {
        ["properties"] = new JsonObject { [key] = new JsonObject { ["enum"] = new JsonArray([.. values.Select(v => (JsonNode?)v)]) } },
        ["required"] = new JsonArray(key),
    };

    /// <summary>A key the validator knows only to refuse it.</summary>
    private static JsonObject Forbidden(string why) => new() { ["description"] = why, ["not"] = new JsonObject() };

    private static JsonObject Describe(JsonObject schema, string description, JsonNode? @default = null, JsonNode?[]? examples = null)
    {
        var result = new JsonObject { ["description"] = description };
        foreach (var (key, value) in schema.ToList())
        {
            schema.Remove(key);
            result[key] = value;
        }
        if (@default is not null)
            result["default"] = @default;
        if (examples is { Length: > 0 })
            result["examples"] = new JsonArray([.. examples.Select(e => e?.DeepClone())]);
        return result;
    }

    private static JsonObject Pattern(string pattern) => new() { ["type"] = "string", ["pattern"] = pattern };

    private static JsonObject Ref(string name) => new() { ["$ref"] = $"#/$defs/{name}" };

    private static JsonObject AnyOf(params JsonObject[] schemas) => new() { ["anyOf"] = new JsonArray([.. schemas]) };

    private static JsonObject Integer(long min, long max) => new() { ["type"] = "integer", ["minimum"] = min, ["maximum"] = max };

    /// <summary>The spellings of an enum of the plan, in declaration order.</summary>
    private static JsonObject Enum<T>() where T : struct, System.Enum => Enum(Spelling.NamesOf<T>());

    private static JsonObject Enum(params IEnumerable<string> values) => new() { ["enum"] = new JsonArray([.. values.Select(v => (JsonNode?)v)]) };

    private static IEnumerable<string> Sorted(IEnumerable<string> names) => names.Order(StringComparer.Ordinal);

    private static string Format(TimeSpan value) => SimCluster.Scenarios.Units.FormatDuration(value);

    private static string FormatRange(DurationRange range) =>
        range.IsFixed ? Format(range.Min) : $"{Format(range.Min)}..{Format(range.Max)}";
}
