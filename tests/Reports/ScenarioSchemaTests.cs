using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using SimCluster.Abstractions.Metrics;
using SimCluster.Scenarios;
using SimCluster.Scenarios.Schema;

namespace SimCluster.Tests.Reports;

/// <summary>
/// The published JSON Schema of scenario files against the validator (ScenarioLoader): the file is the
/// generated one, every shipped scenario passes both, and the two agree on every key and, for each key,
/// on a spread of values (the examples, the enum values, and probes of every value syntax).
/// </summary>
[Trait("Category", "Unit")]
public sealed class ScenarioSchemaTests
{
    private static readonly JsonObject SchemaJson = ScenarioSchema.Generate();
    private static readonly JsonSchema Schema = JsonSchema.FromText(ScenarioSchema.GenerateText());
    private const string UnknownKey = "zzqqxxwwvvkk";
    private const string NotValid = "Not Valid!";

    [Fact]
    public void The_published_schema_is_the_generated_one()
    {
        var path = Repo.PathOf(ScenarioSchema.PublishedPath);
        Assert.True(File.Exists(path), $"{ScenarioSchema.PublishedPath} is missing; create it with: {ScenarioSchema.RegenerateCommand}");
        var published = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(published == ScenarioSchema.GenerateText(),
            $"{ScenarioSchema.PublishedPath} differs from the schema the validator's vocabulary generates; regenerate it with: {ScenarioSchema.RegenerateCommand}");
    }

    [Fact]
    public void The_schema_is_a_valid_draft_2020_12_schema()
    {
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)SchemaJson["$schema"]);
        var result = MetaSchemas.Draft202012.Evaluate(Element(SchemaJson), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, Describe(result));
    }

    [Fact]
    public void Every_shipped_scenario_names_the_schema_on_its_first_line()
    {
        var scenarios = Repo.ShippedScenarios();
        Assert.NotEmpty(scenarios);
        foreach (var file in scenarios)
        {
            var first = File.ReadLines(file).FirstOrDefault();
            Assert.True(first == ScenarioSchema.ModeLine, $"{Path.GetFileName(file)}: the first line must be '{ScenarioSchema.ModeLine}' (editors find the schema through it), got '{first}'");
        }
    }

    [Fact]
    public void Every_shipped_scenario_passes_the_schema_and_the_validator()
    {
        foreach (var file in Repo.ShippedScenarios())
        {
            var text = File.ReadAllText(file);
            var loaded = ScenarioLoader.Parse(text, file);
            Assert.True(loaded.Ok, $"{file}: {string.Join("\n", loaded.Errors)}");
            var result = Evaluate(YamlJson.Convert(text));
            Assert.True(result.IsValid, $"{Path.GetFileName(file)} fails the schema:\n{Describe(result)}");
        }
    }

    [Theory]
    [InlineData(true, "")]
    [InlineData(false, "duraton: 10s\n")]                                                             // a typo
    [InlineData(false, "auth: { jwt: { secret: abc } }\n")]                                          // inline secret
    [InlineData(false, "auth: { jwt: { secretEnv: S }, tokenUrl: \"http://127.0.0.1/t\" }\n")]        // both token sources
    [InlineData(false, "auth: { send: header }\n")]                                                  // no token source
    [InlineData(false, "auth: { jwt: { secretEnv: S, secretFile: f } }\n")]                          // both secret sources
    [InlineData(false, "thresholds: { connects: [\"p(95)<1\"] }\n")]                                 // p(N) on a counter
    [InlineData(true, "thresholds: { connect_time: [\"p(95)<1\"] }\n")]
    [InlineData(false, "heartbeat: { timeout: 2s }\n")]                                              // a timeout without pings
    [InlineData(false, "heartbeat: { appLevel: true }\n")]
    [InlineData(false, "heartbeat: { interval: 1s, timeout: 2s, appLevel: true }\n")]                // app-level pings are session frames
    [InlineData(true, "protocol: session\nheartbeat: { interval: 1s, timeout: 2s, appLevel: true }\n")]
    [InlineData(false, "protocol: json\n")]                                                         // protocol json needs its block
    [InlineData(false, "json: { send: '{\"id\":{seq}}', correlate: { path: id } }\n")]                // the block needs protocol json
    [InlineData(true, "protocol: json\njson: { send: '{\"id\":{seq}}', correlate: { path: id } }\n")]
    [InlineData(false, "protocol: json\njson: { send: '{\"id\":1}', correlate: { path: id } }\n")]   // no {seq}
    [InlineData(false, "protocol: json\njson: { send: '{\"id\":{seq}}', correlate: { path: id, regex: x } }\n")]
    [InlineData(false, "protocol: json\njson: { send: '{\"id\":{seq}}', correlate: { path: id }, error: { value: x } }\n")]
    [InlineData(true, "protocol: json\njson: { send: '{\"id\":{seq}}', correlate: { regex: 'id\":(\\d+)' }, pushes: { filter: { path: op, value: tick }, sequence: n } }\n")]
    [InlineData(true, "protocol: json\njson: { send: '{\"id\":{seq}}', correlate: { path: id }, heartbeat: { send: '{\"op\":\"ping\"}', expect: { path: op, value: pong } } }\nheartbeat: { interval: 1s, appLevel: true }\n")]
    [InlineData(false, "embeddedTarget: { heartbeatTimeout: 2s }\n")]
    [InlineData(true, "embeddedTarget: { heartbeatInterval: 1s, heartbeatTimeout: 2s }\n")]
    [InlineData(true, "embeddedTarget: { signalr: { path: /chat/hub, clientTimeout: 3s, pushInterval: 1s, statefulReconnectBufferSize: 1 } }\n")]
    [InlineData(false, "embeddedTarget: { signalr: { path: /WS/ } }\n")]                              // the target's own endpoint
    [InlineData(false, "embeddedTarget: { signalr: { path: /stats } }\n")]
    [InlineData(false, "embeddedTarget: { signalr: { path: hub } }\n")]                               // not a path
    [InlineData(false, "embeddedTarget: { signalr: { clientTimeout: 0s } }\n")]
    [InlineData(false, "population:\n  - { name: a, share: 100%, flapping: { cycles: 2 } }\n")]     // a block without its behaviour
    [InlineData(true, "population:\n  - { name: a, behavior: flapping }\n")]                         // flapping has defaults, a lone group its share
    [InlineData(false, "population:\n  - { name: a, share: 100%, behavior: zombie }\n")]             // zombie needs its block
    [InlineData(false, "population:\n  - { name: a, share: 50% }\n  - { name: b }\n")]               // two groups: each says its share
    [InlineData(false, "population:\n  - { name: a, behavior: zombie, zombie: { kind: silent-app, readBytesPerSecond: 10 } }\n")]
    [InlineData(true, "population:\n  - { name: a, behavior: zombie, zombie: { kind: slow-reader, readBytesPerSecond: 10 } }\n")]
    [InlineData(false, "population:\n  - { name: a, behavior: switching, switching: { every: 5s } }\n")]
    [InlineData(true, "population:\n  - { name: a, behavior: switching, switching: { natRebinding: true } }\n")]
    [InlineData(false, "population:\n  - { name: a, behavior: malformed, malformed: { cases: [F01, F01] } }\n")]
    public void The_schema_and_the_validator_agree_on_rules_that_tie_keys_together(bool valid, string extra)
    {
        var yaml = "name: x\ntarget: embedded\nclients: 10\nduration: 10s\n" + extra;
        var loaded = ScenarioLoader.Parse(yaml, "t.yaml");
        Assert.True(valid == loaded.Ok, $"validator: {string.Join("; ", loaded.Errors)}\n{yaml}");
        var result = Evaluate(YamlJson.Convert(yaml));
        Assert.True(valid == result.IsValid, $"schema: {Describe(result)}\n{yaml}");
    }

    [Fact]
    public void An_embedded_target_block_may_stay_when_the_target_is_a_URL()
    {
        // --target URL bypasses the embedded target; its options are then ignored, not an error.
        const string yaml = "name: x\ntarget: ws://127.0.0.1:5080/ws\nclients: 10\nduration: 10s\nembeddedTarget: { echoDelay: 5ms }\n";
        Assert.True(ScenarioLoader.Parse(yaml, "t.yaml").Ok);
        Assert.True(Evaluate(YamlJson.Convert(yaml)).IsValid);
    }

    // ---- schema/validator agreement ----

    /// <summary>
    /// Every mapping the binder reads, with a smallest valid document that contains it. Each entry is a
    /// place in the document: "" is the top level, "population[0].zombie" a group's zombie block.
    /// </summary>
    private static readonly Dictionary<string, Func<JsonObject>> Locations = new()
    {
        [""] = () => Minimal(),
        ["messages"] = () => Minimal(d => d["messages"] = new JsonObject()),
        ["heartbeat"] = () => Minimal(d => d["heartbeat"] = new JsonObject { ["interval"] = "1s" }),
        ["network"] = () => Minimal(d => d["network"] = new JsonObject()),
        ["reconnect"] = () => Minimal(d => d["reconnect"] = new JsonObject()),
        ["embeddedTarget"] = () => Minimal(d => d["embeddedTarget"] = new JsonObject()),
        ["embeddedTarget.signalr"] = () => Minimal(d => d["embeddedTarget"] = new JsonObject { ["signalr"] = new JsonObject() }),
        ["signalr"] = () => Minimal(d => { d["protocol"] = "signalr"; d["signalr"] = new JsonObject(); }),
        ["cluster"] = () => Minimal(d => d["cluster"] = new JsonObject()),
        ["connect"] = () => Minimal(d => d["connect"] = new JsonObject()),
        ["graphqlWs"] = () => Minimal(d => { d["protocol"] = "graphql-ws"; d["graphqlWs"] = new JsonObject(); }),
        ["report"] = () => Minimal(d => d["report"] = new JsonObject()),
        ["stages[0]"] = () => Minimal(d => d["stages"] = new JsonArray(new JsonObject { ["duration"] = "1s", ["clients"] = "100%" })),
        ["auth"] = () => Minimal(d => d["auth"] = Auth()),
        ["socketio"] = () => Minimal(d => { d["protocol"] = "socketio"; d["socketio"] = new JsonObject(); }),
        ["socketio.push"] = () => Minimal(d => { d["protocol"] = "socketio"; d["socketio"] = new JsonObject { ["push"] = new JsonObject { ["event"] = "tick", ["sequence"] = "seq" } }; }),
        ["auth.jwt"] = () => Minimal(d => d["auth"] = Auth()),
        ["auth.refresh"] = () => Minimal(d => d["auth"] = Auth(refresh: true)),
        ["json"] = () => Json(),
        ["json.correlate"] = () => Json(),
        ["json.error"] = () => Json(j => j["error"] = new JsonObject { ["path"] = "error" }),
        ["json.heartbeat"] = () => Json(j => j["heartbeat"] = new JsonObject { ["send"] = "{}", ["expect"] = new JsonObject { ["path"] = "op" } }),
        ["json.heartbeat.expect"] = () => Json(j => j["heartbeat"] = new JsonObject { ["send"] = "{}", ["expect"] = new JsonObject { ["path"] = "op" } }),
        ["json.pushes"] = () => Json(j => j["pushes"] = new JsonObject { ["filter"] = new JsonObject { ["path"] = "op" } }),
        ["json.pushes.filter"] = () => Json(j => j["pushes"] = new JsonObject { ["filter"] = new JsonObject { ["path"] = "op" } }),
        ["json.refresh"] = () => Json(j => j["refresh"] = new JsonObject { ["message"] = "{\"t\":\"{token}\"}", ["expect"] = "ok" }),
        ["population[0]"] = () => Minimal(d => d["population"] = Group()),
        ["population[0].flapping"] = () => Minimal(d => d["population"] = Group("flapping", new JsonObject())),
        ["population[0].zombie"] = () => Minimal(d => d["population"] = Group("zombie", new JsonObject { ["kind"] = "silent-app" })),
        ["population[0].switching"] = () => Minimal(d => d["population"] = Group("switching", new JsonObject { ["interfaces"] = new JsonArray("wifi-good", "4g") })),
        ["population[0].malformed"] = () => Minimal(d => d["population"] = Group("malformed", new JsonObject { ["cases"] = "all" })),
    };

    private static JsonObject Minimal(Action<JsonObject>? add = null)
    {
        // A long duration, so probes of other durations never trip "rampUp is longer than duration".
        var doc = new JsonObject { ["name"] = "probe", ["target"] = "embedded", ["clients"] = 10, ["duration"] = "2h" };
        add?.Invoke(doc);
        return doc;
    }

    private static JsonObject Json(Action<JsonObject>? add = null) => Minimal(d =>
    {
        d["protocol"] = "json";
        var json = new JsonObject { ["send"] = "{\"id\":{seq}}", ["correlate"] = new JsonObject { ["path"] = "id" } };
        add?.Invoke(json);
        d["json"] = json;
    });

    private static JsonObject Auth(bool refresh = false)
    {
        var auth = new JsonObject { ["jwt"] = new JsonObject { ["secretEnv"] = "SIM_JWT_SECRET" } };
        if (refresh) auth["refresh"] = new JsonObject();
        return auth;
    }

    private static JsonArray Group(string? behavior = null, JsonObject? block = null)
    {
        var group = new JsonObject { ["name"] = "g", ["share"] = "100%" };
        if (behavior is not null)
        {
            group["behavior"] = behavior;
            group[behavior] = block;
        }
        return new JsonArray(group);
    }

    /// <summary>
    /// Rules that tie one key to another (a block needs its behaviour, max must not be below base, ...).
    /// Before a key is set to a probe value, its neighbours are arranged so only the key itself is judged.
    /// </summary>
    private static void Arrange(string location, JsonObject doc, JsonObject here, string key, JsonNode? value)
    {
        switch (location, key)
        {
            case ("population[0]", "flapping" or "zombie" or "switching" or "malformed"):
                here["behavior"] = key;
                break;
            case ("population[0]", "behavior") when value is JsonValue v && v.TryGetValue<string>(out var b) && b is "zombie" or "switching" or "malformed":
                here[b] = Example(SchemaAt($"population[0].{b}"));
                break;
            case ("population[0].zombie", "readBytesPerSecond"):
                here["kind"] = "slow-reader";
                break;
            case ("population[0].zombie", "expectDetectWithin"):
                here["observeFor"] = "2h";
                break;
            case ("auth", "tokenUrl"):
                here.Remove("jwt");
                break;
            case ("json.correlate" or "json.error" or "json.heartbeat.expect" or "json.pushes.filter", "regex"):
                here.Remove("path");
                break;
            case ("", "json"):
                doc["protocol"] = "json";
                break;
            case ("", "protocol") when value is JsonValue p && p.TryGetValue<string>(out var kind) && kind == "json":
                doc["json"] = Json()["json"]!.DeepClone();
                break;
            case ("auth.jwt", "secretFile"):
                here.Remove("secretEnv");
                break;
            case ("auth.refresh", "before"):
                doc["auth"]!["jwt"]!["lifetime"] = "24h";
                break;
            case ("auth.jwt", "lifetime"):
                doc["auth"]!["refresh"] = new JsonObject { ["mode"] = "none" };
                break;
            case ("embeddedTarget", "heartbeatTimeout"):
                here["heartbeatInterval"] = "1s";
                break;
            case ("heartbeat", "appLevel"):
                doc["protocol"] = "session";
                break;
            case ("", "socketio"):
                doc["protocol"] = "socketio";
                break;
            case ("reconnect", "base"):
                here["max"] = "2h";
                break;
            case ("reconnect", "max"):
                here["base"] = "0s";
                break;
        }
    }

    /// <summary>
    /// Rules that compare values, which JSON Schema cannot state; the validator alone enforces them, so
    /// there (and only there) the schema may accept what the validator rejects.
    /// </summary>
    private static readonly string[] CrossKeyRules =
    [
        "shares sum to",                  // population: shares add up to 100%
        "the range's minimum",            // 2s..1s: minimum above maximum
        "must not be longer than",        // rampUp within duration
        "must not be below",              // reconnect.max not below base
        "must be shorter than",           // auth.refresh.before shorter than jwt.lifetime
        "is longer than observeFor",      // zombie.expectDetectWithin within observeFor
        "clients is the shape's peak",    // stages: the highest target is clients
        "no stage plans a client",        // stages: some target above 0
        "longer than duration",           // stages: their total within duration
        "each client connects once",      // stages: no rise after a fall
        "own handshake, and protocol",    // auth.send: protocol needs a protocol that carries a token
        "breaks the messages of protocol", // malformed.cases: S and G cases only with their protocol
        "is not valid JSON once",         // json templates: valid JSON once the placeholders are filled
        "is not a JSON path",             // json paths: their own small syntax
        "is not a regular expression",    // json regexes: .NET's syntax
        "needs json.heartbeat",           // heartbeat.appLevel with protocol: json
        "in one place",                   // json.refresh and auth.refresh.message both given
        "configures protocol: signalr",   // the signalr block only with protocol: signalr
        "must be longer than keepAliveInterval", // signalr.serverTimeout above its keepAliveInterval
        "must be a JSON array",           // signalr.arguments: JSON, which JSON Schema cannot parse
        "cannot read ",                   // connect.caFile: a file that must exist and hold certificates
    ];

    [Fact]
    public void The_schema_describes_every_mapping_the_agreement_tests_probe()
    {
        var inSchema = ObjectLocations(SchemaJson, "").ToHashSet();
        Assert.True(inSchema.SetEquals(Locations.Keys),
            "the schema's objects and this test's list of locations differ; add the new mapping to Locations (with a smallest valid document)\n" +
            $"schema only: {string.Join(", ", inSchema.Except(Locations.Keys))}\ntest only: {string.Join(", ", Locations.Keys.Except(inSchema))}");
    }

    [Fact]
    public void Every_key_the_binder_reads_is_in_the_schema_and_no_other()
    {
        var problems = new List<string>();
        foreach (var (location, build) in Locations)
        {
            var doc = build();
            Assert.True(Validator(doc).Ok, $"the base document for '{location}' must be valid: {string.Join("; ", Validator(doc).Errors)}");
            Assert.True(Evaluate(doc).IsValid, $"the base document for '{location}' must pass the schema: {doc.ToJsonString()}");

            // An unknown key makes the binder list every key it read at that place.
            Navigate(doc, location)[UnknownKey] = 1;
            var keyPath = location.Length == 0 ? UnknownKey : $"{location}.{UnknownKey}";
            var error = Validator(doc).Errors.SingleOrDefault(e => e.Key == keyPath);
            Assert.True(error is not null, $"the validator did not flag the unknown key {keyPath}");
            const string marker = "valid keys here: ";
            var at = error!.Message.IndexOf(marker, StringComparison.Ordinal);
            Assert.True(at >= 0, $"unexpected message for {keyPath}: {error.Message}");
            var binderKeys = error.Message[(at + marker.Length)..].Split(", ").ToHashSet(StringComparer.Ordinal);
            var schemaKeys = SchemaAt(location)["properties"]!.AsObject().Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            if (!binderKeys.SetEquals(schemaKeys))
            {
                problems.Add($"'{(location.Length == 0 ? "(top level)" : location)}': the binder reads [{string.Join(", ", binderKeys.Except(schemaKeys))}] that the schema lacks; " +
                             $"the schema has [{string.Join(", ", schemaKeys.Except(binderKeys))}] that the binder does not read");
            }
            Assert.False(Evaluate(doc).IsValid, $"the schema accepts the unknown key {keyPath}");
        }
        Assert.True(problems.Count == 0,
            "the schema and the validator disagree on keys; add the key to client/Scenarios/Schema/ScenarioSchema.cs, then " +
            ScenarioSchema.RegenerateCommand + "\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_schema_and_the_validator_agree_on_the_values_of_every_key()
    {
        var disagreements = new List<string>();
        var checkedCount = 0;
        foreach (var (location, build) in Locations)
        {
            foreach (var (key, propertySchema) in SchemaAt(location)["properties"]!.AsObject())
            {
                var (mustPass, probes) = Candidates(propertySchema!);
                foreach (var value in mustPass.Concat(probes))
                {
                    var doc = build();
                    var here = Navigate(doc, location);
                    Arrange(location, doc, here, key, value);
                    here[key] = value?.DeepClone();
                    var validator = Validator(doc);
                    var schema = Evaluate(doc);
                    checkedCount++;
                    var where = $"{(location.Length == 0 ? "" : location + ".")}{key} = {value?.ToJsonString() ?? "null"}";
                    if (!validator.Ok && schema.IsValid && validator.Errors.All(e => CrossKeyRules.Any(r => e.Message.Contains(r, StringComparison.Ordinal))))
                        continue; // a rule JSON Schema cannot state: the validator alone enforces it
                    if (validator.Ok != schema.IsValid)
                    {
                        disagreements.Add(validator.Ok
                            ? $"{where}: the validator accepts it, the schema rejects it ({Describe(schema)})"
                            : $"{where}: the schema accepts it, the validator rejects it ({string.Join("; ", validator.Errors.Select(e => e.Message))})");
                    }
                    else if (!validator.Ok && mustPass.Contains(value))
                    {
                        disagreements.Add($"{where}: an example, enum value or default of the schema that both reject ({string.Join("; ", validator.Errors.Select(e => e.Message))})");
                    }
                }
            }
        }
        Assert.True(checkedCount > 500, $"only {checkedCount} probes ran");
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreements:\n{string.Join("\n", disagreements)}");
    }

    [Fact]
    public void The_schema_and_the_validator_agree_on_thresholds()
    {
        var disagreements = new List<string>();
        string[] aggregations = ["count<1", "rate<1", "value<1", "avg<1", "min<1", "max<1", "med<1", "p(95)<1"];
        var cases = new List<(string Key, JsonNode Value)>();
        foreach (var metric in MetricNames.All.Keys)
        {
            cases.AddRange(aggregations.Select(a => (metric, (JsonNode)new JsonArray(a))));
            cases.Add(($"{metric}{{group:g}}", new JsonArray(aggregations.First(a => ThresholdExpression.TryParse(a, out var e, out _, out _) && ThresholdRules.Fits(MetricNames.All[metric], e!.Aggregation)))));
        }
        string[] trendExpressions = ["p(95)<500", "p(99.9) <= 20", " p ( 50 ) > 1 ", "p(0)<1", "p(100)<1", "p(100.5)<1", "p95<1", "p(95)=1", "p(95)<", "p(95)<1ms", "avg==-1.5", "count >= 0", "max<1.", "med <> 1", ""];
        string[] counterExpressions = ["count==0", "rate<0.5", "value>=3", "count = 0", "count==0 extra", "cnt==0", "count<-1"];
        cases.AddRange(trendExpressions.Select(e => ("message_rtt", (JsonNode)new JsonArray(e))));
        cases.AddRange(counterExpressions.Select(e => ("connects", (JsonNode)new JsonArray(e))));
        cases.Add(("connects", JsonValue.Create("count==0")!));                     // one expression without a list
        cases.Add(("connects", new JsonArray()));
        cases.Add(("connects", new JsonArray("count==0", "rate<1")));
        cases.Add(("connects", new JsonObject()));
        cases.Add(("no_such_metric", new JsonArray("count==0")));
        cases.Add(("connects{grp:g}", new JsonArray("count==0")));
        cases.Add(("connects{group:g", new JsonArray("count==0")));
        cases.Add(("connects {group: g}", new JsonArray("count==0")));

        foreach (var (key, value) in cases)
        {
            var doc = Minimal(d =>
            {
                d["population"] = Group();
                d["thresholds"] = new JsonObject { [key] = value.DeepClone() };
            });
            var validator = Validator(doc);
            var schema = Evaluate(doc);
            if (validator.Ok != schema.IsValid)
            {
                disagreements.Add($"thresholds {key}: {value.ToJsonString()}: validator {(validator.Ok ? "accepts" : "rejects")}, schema {(schema.IsValid ? "accepts" : "rejects")} " +
                                  $"({string.Join("; ", validator.Errors.Select(e => e.Message))}{Describe(schema)})");
            }
        }
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreements:\n{string.Join("\n", disagreements)}");
    }

    [Fact]
    public void The_schema_lists_the_vocabulary_the_validator_uses()
    {
        var vocab = ScenarioVocabulary.Default;
        Assert.Equal(vocab.Behaviors.Order(StringComparer.Ordinal), Enum(SchemaAt("population[0]")["properties"]!["behavior"]!));
        Assert.Equal(vocab.ReconnectPolicies.Order(StringComparer.Ordinal), Enum(SchemaAt("reconnect")["properties"]!["policy"]!));
        Assert.Equal(vocab.LinkProfiles.Order(StringComparer.Ordinal), Enum(SchemaAt("network")["properties"]!["profile"]!));
        Assert.Equal(vocab.ZombieKinds.Order(StringComparer.Ordinal), Enum(SchemaAt("population[0].zombie")["properties"]!["kind"]!));
        var cases = SchemaAt("population[0].malformed")["properties"]!["cases"]!["anyOf"]![1]!["items"]!;
        Assert.Equal(vocab.MalformedCases.Order(StringComparer.Ordinal), Enum(cases));
        var metrics = string.Join(" ", SchemaAt("")["properties"]!["thresholds"]!["patternProperties"]!.AsObject().Select(p => p.Key));
        Assert.All(MetricNames.All.Keys, m => Assert.Contains(m, metrics));

        // A vocabulary with one more behaviour gives a schema with one more behaviour.
        var extended = vocab with { Behaviors = new HashSet<string>([.. vocab.Behaviors, "sleepy"]) };
        var schema = ScenarioSchema.Generate(extended);
        Assert.Contains("sleepy", Enum(schema["properties"]!["population"]!["items"]!["properties"]!["behavior"]!));
    }

    // ---- helpers ----

    private static EvaluationResults Evaluate(JsonNode? doc) =>
        Schema.Evaluate(Element(doc), new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static JsonElement Element(JsonNode? node) => JsonSerializer.SerializeToElement(node);

    private static ScenarioLoadResult Validator(JsonObject doc) => ScenarioLoader.Parse(doc.ToJsonString(), "probe.yaml");

    /// <summary>Places in the schema that are mappings with their own keys (thresholds, keyed by metric, is checked on its own).</summary>
    private static IEnumerable<string> ObjectLocations(JsonNode schema, string path)
    {
        if (schema["properties"] is not JsonObject properties)
            yield break;
        yield return path;
        foreach (var (key, sub) in properties)
        {
            var child = path.Length == 0 ? key : $"{path}.{key}";
            if (sub?["properties"] is not null)
                foreach (var p in ObjectLocations(sub, child)) yield return p;
            else if (sub?["items"]?["properties"] is not null)
                foreach (var p in ObjectLocations(sub["items"]!, child + "[0]")) yield return p;
        }
    }

    private static JsonObject SchemaAt(string location)
    {
        JsonNode node = SchemaJson;
        foreach (var segment in Segments(location))
        {
            node = node["properties"]![segment.Key]!;
            if (segment.Index is not null) node = node["items"]!;
        }
        return node.AsObject();
    }

    private static JsonObject Navigate(JsonObject doc, string location)
    {
        JsonNode node = doc;
        foreach (var segment in Segments(location))
        {
            node = node[segment.Key]!;
            if (segment.Index is { } i) node = node[i]!;
        }
        return node.AsObject();
    }

    private static IEnumerable<(string Key, int? Index)> Segments(string location)
    {
        if (location.Length == 0) yield break;
        foreach (var part in location.Split('.'))
        {
            var bracket = part.IndexOf('[');
            yield return bracket < 0 ? (part, null) : (part[..bracket], int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static JsonNode Resolve(JsonNode schema) =>
        schema["$ref"] is JsonValue r ? SchemaJson["$defs"]![r.GetValue<string>()["#/$defs/".Length..]]! : schema;

    private static JsonNode? Example(JsonNode schema) => schema["examples"]?[0]?.DeepClone();

    private static IEnumerable<string> Enum(JsonNode schema) => schema["enum"]!.AsArray().Select(v => v!.GetValue<string>());

    /// <summary>JSON types a property's schema allows; every type when it only forbids the key.</summary>
    private static HashSet<string> Types(JsonNode schema)
    {
        var s = Resolve(schema);
        var types = new HashSet<string>(StringComparer.Ordinal);
        if (s["type"] is JsonValue t) types.Add(t.GetValue<string>());
        if (s["const"] is { } c) types.Add(TypeOf(c));
        if (s["enum"] is JsonArray e) types.UnionWith(e.Select(x => TypeOf(x!)));
        foreach (var branch in (s["anyOf"] as JsonArray ?? []).Concat(s["oneOf"] as JsonArray ?? []))
            types.UnionWith(Types(branch!));
        if (s["not"] is not null)
            types.UnionWith(["string", "integer", "number", "boolean", "array", "object"]);
        return types;
    }

    private static string TypeOf(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => value.ToJsonString().Contains('.') ? "number" : "integer",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Array => "array",
        _ => "object",
    };

    private static readonly string[] StringProbes =
    [
        NotValid, "", "a", "UPPER", "with space", "0", "5", "0s", "1s", "1.5s", "250ms", "1m30s", "2h", "-1s", "1x", "1s..2s", "2s..1s", "0s..1s",
        "20%", "0%", "100%", "120%", "0.2", "1.5", "30Mbps", "1Tbps", "ws://127.0.0.1:1/ws", "wss://h/ws", "http://127.0.0.1/t", "ftp://h",
        "127.0.1.0/24", "127.0.0.1", "127.1", "10.0.0.0/8", "127.0.0.0/4", "all", "steady", "F01", "HS256", "SIM_JWT_SECRET", "9LIVES",
    ];

    private static readonly JsonNode[] IntegerProbes = [0, 1, -1, 15, 16, 124, 125, 1_000_000, 1_000_001, 2_147_483_647, 2_147_483_648, 1.5];
    private static readonly JsonNode[] NumberProbes = [0, 0.2, 0.99, 1, -0.1, 1.5];

    /// <summary>
    /// Values to try on a key: the schema's own examples, enum values and default (which both must accept),
    /// and probes of every syntax for each JSON type the key allows. A scalar of another JSON type is only
    /// tried as plain text ("Not Valid!"): the validator reads scalars as text whatever YAML type they have
    /// (clients: "10" is fine), while editors insist on YAML's type, which is the point of the schema.
    /// </summary>
    private static (List<JsonNode?> MustPass, List<JsonNode?> Probes) Candidates(JsonNode propertySchema)
    {
        var mustPass = new List<JsonNode?>();
        var probes = new List<JsonNode?> { NotValid };
        var resolved = Resolve(propertySchema);
        if (resolved["not"] is not null)
        {
            probes.AddRange(["abc", 1, true, new JsonArray(), new JsonObject()]);
            return ([], probes);
        }
        foreach (var e in (propertySchema["examples"] as JsonArray ?? []).Concat(resolved["examples"] as JsonArray ?? [])) mustPass.Add(e?.DeepClone());
        if (propertySchema["default"] is { } d) mustPass.Add(d.DeepClone());
        foreach (var enumSchema in EnumSchemas(propertySchema))
        {
            var values = enumSchema["enum"]!.AsArray();
            mustPass.AddRange(values.Select(v => v?.DeepClone()));
        }
        var types = Types(propertySchema);
        if (types.Contains("string")) probes.AddRange(StringProbes.Select(p => (JsonNode?)p));
        if (types.Contains("integer")) probes.AddRange(IntegerProbes.Select(p => p.DeepClone()));
        if (types.Contains("number")) probes.AddRange(NumberProbes.Select(p => p.DeepClone()));
        if (types.Contains("boolean")) probes.AddRange([true, false]);
        if (types.Contains("object")) probes.Add(new JsonObject());
        if (types.Contains("array"))
        {
            probes.Add(new JsonArray());
            probes.Add(new JsonArray(NotValid));
            var items = Branches(propertySchema).Select(b => b["items"]).FirstOrDefault(i => i is not null);
            if (items is not null && Resolve(items)["enum"] is JsonArray itemEnum)
            {
                mustPass.Add(new JsonArray([.. itemEnum.Select(v => v?.DeepClone())]));
                probes.Add(new JsonArray(itemEnum[0]!.DeepClone(), itemEnum[0]!.DeepClone()));
            }
            if (items is not null)
                probes.AddRange(StringProbes.Select(p => (JsonNode?)new JsonArray(p)));
        }
        return (mustPass, probes);
    }

    private static IEnumerable<JsonNode> Branches(JsonNode schema)
    {
        var s = Resolve(schema);
        yield return s;
        foreach (var b in (s["anyOf"] as JsonArray ?? []).Concat(s["oneOf"] as JsonArray ?? []))
            foreach (var x in Branches(b!)) yield return x;
    }

    private static IEnumerable<JsonNode> EnumSchemas(JsonNode schema) =>
        Branches(schema).Where(b => b["enum"] is not null && b["type"] is null);

    private static string Describe(EvaluationResults results)
    {
        if (results.IsValid) return "";
        var lines = new List<string>();
        void Walk(EvaluationResults r)
        {
            if (r.Errors is { Count: > 0 })
                lines.AddRange(r.Errors.Select(e => $"{r.InstanceLocation}: {e.Key}: {e.Value}"));
            foreach (var d in r.Details ?? []) Walk(d);
        }
        Walk(results);
        return string.Join("; ", lines.Distinct().Take(6));
    }
}
