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
                    "echo: any echo server; session: session protocol v1 (sequence numbers, acks, replay); none: connect only.", ProtocolKind.Echo.Spelled())),
                ("driver", Describe(Enum<ClientDriver>(),
                    "The code that drives each client's WebSocket: websocket-client (Websocket.Client) or lean (SimCluster's own receive loop, less memory per client).", ClientDriver.WebsocketClient.Spelled())),
                ("messages", Object("Application messages each client sends and expects back.",
                [
                    ("interval", Describe(Ref("duration"), "Time between two messages of one client; 0 = no messages.", Format(messages.Interval), examples: ["1s", "250ms"])),
                    ("size", Describe(Integer(MessagesSpec.MinSize, MessagesSpec.MaxSize), "Payload bytes.", messages.Size, examples: [64])),
                    ("lossTimeout", Describe(Ref("positiveDuration"), "An echo not back after this long (connection still open) counts as lost.", Format(messages.LossTimeout), examples: ["5s"])),
                    ("maxReceiveSize", Describe(Integer(MessagesSpec.MinReceiveSize, MessagesSpec.MaxReceiveSizeLimit),
                        "Largest message a client accepts from the server, in bytes: a frame announcing more resets the connection unread (disconnect cause message-too-big).", messages.MaxReceiveSize, examples: [1048576])),
                ])),
                ("heartbeat", Heartbeat()),
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
        // App-level heartbeats are the session protocol's ping frames: no other protocol has them.
        root["if"] = new JsonObject { ["not"] = KeyIs("protocol", ProtocolKind.Session.Spelled()) };
        root["then"] = new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["heartbeat"] = new JsonObject { ["properties"] = new JsonObject { ["appLevel"] = new JsonObject { ["const"] = false } } },
            },
        };

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
            ("authEnforceExpiry", Describe(new JsonObject { ["type"] = "boolean" }, "Token checks: close a connection with 4001 when its token expires; false = never.", true)),
        ]);
        embedded["if"] = new JsonObject { ["not"] = new JsonObject { ["required"] = new JsonArray("heartbeatInterval") } };
        embedded["then"] = new JsonObject { ["properties"] = new JsonObject { ["heartbeatTimeout"] = Ref("zeroDuration") } };
        return embedded;
    }

    private static JsonObject Heartbeat()
    {
        var heartbeat = Object("Client-sent pings, measured as heartbeat_rtt.",
        [
            ("interval", Describe(Ref("duration"), "Time between pings; 0 = off.", "0s", examples: ["5s"])),
            ("timeout", Describe(Ref("duration"), "Give the connection up (heartbeat_timeouts, cause heartbeat:timeout, then reconnect by the policy) when a ping has had no answer for this long; 0 = never. Needs interval above 0s.", "0s", examples: ["2s"])),
            ("appLevel", Describe(new JsonObject { ["type"] = "boolean" }, "Send the session protocol's ping frames ({\"type\":\"ping\",\"ts\":T}, timed by their pong) instead of WebSocket PING frames. Needs interval above 0s and protocol: session.", false)),
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
            ("send", Describe(Enum<TokenPlacement>(), "query: ?token=...; header: Authorization: Bearer ...", new AuthSpec().Send.Spelled())),
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
