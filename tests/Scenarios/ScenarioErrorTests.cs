using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

/// <summary>Each class of error, with the exact position and key path it is reported at.</summary>
[Trait("Category", "Unit")]
public class ScenarioErrorTests
{
    [Fact]
    public void Typo_in_a_key_is_unknown_with_a_suggestion()
    {
        var e = SingleError("name: t\ntarget: embedded\nclients: 10\nduration: 10s\nmessages:\n  intervl: 1s\n");
        Assert.Equal(new ScenarioError(Source, 6, 3, "messages.intervl", "unknown key 'intervl' - did you mean 'interval'?"), e);
    }

    [Fact]
    public void Misspelt_required_key_reports_unknown_key_and_missing_key()
    {
        var result = Parse("name: t\ntarget: embedded\nclinets: 10\nduration: 10s\n");
        Assert.Equal(2, result.Errors.Count);
        Assert.Equal(new ScenarioError(Source, 1, 1, "clients", "missing required key 'clients' (a whole number from 1 to 1000000)"), result.Errors[0]);
        Assert.Equal(new ScenarioError(Source, 3, 1, "clinets", "unknown key 'clinets' - did you mean 'clients'?"), result.Errors[1]);
        Assert.Equal("test.yaml:3:1: clinets: unknown key 'clinets' - did you mean 'clients'?", result.Errors[1].ToString());
    }

    [Fact]
    public void Unknown_key_without_a_close_match_lists_the_valid_keys()
    {
        var e = SingleError(Minimal + "\nheartbeat: { zzzzzz: 1 }\n");
        Assert.Equal((5, 14, "heartbeat.zzzzzz"), (e.Line, e.Column, e.Key));
        Assert.Equal("unknown key 'zzzzzz'; valid keys here: appLevel, interval, timeout", e.Message);
    }

    [Fact]
    public void Negative_count_is_out_of_range()
    {
        var e = SingleError("name: t\ntarget: embedded\nclients: -5\nduration: 10s\n");
        Assert.Equal(new ScenarioError(Source, 3, 10, "clients", "must be from 1 to 1000000, got -5"), e);
    }

    [Fact]
    public void Negative_cycles_in_a_group_names_the_full_path()
    {
        var e = SingleError(Minimal + "\npopulation:\n  - { name: f, behavior: flapping, flapping: { cycles: -1 } }\n");
        Assert.Equal(new ScenarioError(Source, 6, 56, "population[0].flapping.cycles", "must be 0 or more, got -1"), e);
    }

    [Theory]
    [InlineData("duration: 10", "a duration needs a unit (ms, s, m or h), e.g. 500ms or 5s; got '10'")]
    [InlineData("duration: 10 s", "expected a duration like 250ms, 2s or 1m30s, got '10 s'")]
    [InlineData("duration: 10sec", "unknown duration unit 'sec' in '10sec'; use ms, s, m or h")]
    [InlineData("duration: -5s", "durations cannot be negative, got '-5s'")]
    [InlineData("duration: 0s", "must be above 0s, got '0s'")]
    public void Bad_duration_says_what_form_was_expected(string line, string message)
    {
        var e = SingleError($"name: t\ntarget: embedded\nclients: 10\n{line}\n");
        Assert.Equal(new ScenarioError(Source, 4, 11, "duration", message), e);
    }

    [Fact]
    public void Shares_summing_to_90_percent_are_reported_at_the_population_key()
    {
        var e = SingleError(Minimal + """

            population:
              - { name: a, share: 70% }
              - { name: b, share: 20%, behavior: flapping }
            """);
        Assert.Equal(new ScenarioError(Source, 5, 1, "population", "shares sum to 90%, they must sum to 100%"), e);
    }

    [Fact]
    public void Unknown_behaviour_lists_the_valid_names()
    {
        var e = SingleError(Minimal + "\npopulation:\n  - name: a\n    behavior: flaping\n");
        Assert.Equal((7, 15, "population[0].behavior"), (e.Line, e.Column, e.Key));
        Assert.Equal("unknown behavior 'flaping' - did you mean 'flapping'?; valid: flapping, malformed, steady, switching, zombie", e.Message);
    }

    [Fact]
    public void Unknown_profile_policy_zombie_kind_and_case_list_the_valid_names()
    {
        var result = Parse(Minimal + """

            network: { profile: 5g }
            reconnect: { policy: linear }
            population:
              - { name: z, share: 50%, behavior: zombie, zombie: { kind: undead } }
              - { name: m, share: 50%, behavior: malformed, malformed: { cases: [F01, F99] } }
            """);
        Assert.Equal(4, result.Errors.Count);
        Assert.Equal((5, 21, "network.profile"), (result.Errors[0].Line, result.Errors[0].Column, result.Errors[0].Key));
        Assert.Equal("unknown link profile '5g' - did you mean '4g'?; valid: 3g, 4g, edge, ethernet, loopback, satellite, slow-3g, wifi-congested, wifi-good", result.Errors[0].Message);
        Assert.Equal("reconnect.policy", result.Errors[1].Key);
        Assert.Equal("unknown reconnect policy 'linear'; valid: exponential, fixed, immediate", result.Errors[1].Message);
        Assert.Equal((8, 62, "population[0].zombie.kind"), (result.Errors[2].Line, result.Errors[2].Column, result.Errors[2].Key));
        Assert.StartsWith("unknown zombie kind 'undead'; valid: app-dead, blackhole, half-close, reset, silent-app, slow-reader", result.Errors[2].Message);
        Assert.Equal((9, 75, "population[1].malformed.cases[1]"), (result.Errors[3].Line, result.Errors[3].Column, result.Errors[3].Key));
        Assert.StartsWith("unknown case id 'F99'", result.Errors[3].Message);
    }

    [Fact]
    public void Wrong_type_names_the_expected_form()
    {
        var result = Parse(Minimal + "\nmessages: 5\nheartbeat: { appLevel: maybe }\npopulation: { name: a }\n");
        Assert.Equal(3, result.Errors.Count);
        Assert.Equal(new ScenarioError(Source, 5, 11, "messages", "expected a mapping (key: value lines or { key: value }), got '5'"), result.Errors[0]);
        Assert.Equal(new ScenarioError(Source, 6, 24, "heartbeat.appLevel", "expected true or false, got 'maybe'"), result.Errors[1]);
        Assert.Equal(new ScenarioError(Source, 7, 13, "population", "expected a list of groups like - { name: steady, share: 100% }, got a mapping"), result.Errors[2]);
    }

    [Fact]
    public void Clients_given_as_text_is_a_wrong_type()
    {
        var e = SingleError("name: t\ntarget: embedded\nclients: many\nduration: 10s\n");
        Assert.Equal(new ScenarioError(Source, 3, 10, "clients", "expected a whole number from 1 to 1000000, got 'many'"), e);
    }

    [Fact]
    public void Duplicate_key_is_an_error_at_the_second_occurrence()
    {
        var e = SingleError("name: t\ntarget: embedded\nclients: 10\nduration: 10s\nclients: 20\n");
        Assert.Equal(new ScenarioError(Source, 5, 1, "clients", "duplicate key 'clients' (first given at line 3, column 1)"), e);
    }

    [Fact]
    public void Duplicate_key_in_a_nested_flow_mapping()
    {
        var e = SingleError(Minimal + "\nmessages: { size: 64, size: 128 }\n");
        Assert.Equal(new ScenarioError(Source, 5, 23, "messages.size", "duplicate key 'size' (first given at line 5, column 13)"), e);
    }

    [Fact]
    public void Inline_secret_is_refused()
    {
        var e = SingleError(Minimal + "\nauth:\n  jwt: { secretEnv: S, secret: hunter2 }\n");
        Assert.Equal(new ScenarioError(Source, 6, 24, "auth.jwt.secret", "secrets must come from secretEnv or secretFile"), e);
    }

    [Fact]
    public void Several_errors_are_reported_at_once_in_file_order()
    {
        var result = Parse("""
            name: Bad Name
            target: http://127.0.0.1/ws
            clients: 0
            duration: 5
            rampUp: 1m
            messages: { size: 8 }
            population:
              - { name: a, share: 50%, behavior: zombie }
              - { name: a, share: 40%, zombie: { kind: reset } }
            thresholds:
              conects: ["count==0"]
              reconnect_time{group:nobody}: ["avg<1", "p(95)<"]
              connects: ["avg<5"]
            """);
        Assert.Null(result.Scenario);
        var summary = result.Errors.Select(e => $"{e.Line}:{e.Column} {e.Key}").ToList();
        Assert.Equal(
        [
            "1:7 name",
            "2:9 target",
            "3:10 clients",
            "4:11 duration",
            "6:19 messages.size",
            "7:1 population",
            "8:38 population[0].zombie",
            "9:13 population[1].name",
            "9:28 population[1].zombie",
            "11:3 thresholds.conects",
            "12:3 thresholds.reconnect_time{group:nobody}",
            "12:50 thresholds.reconnect_time{group:nobody}[1]",
            "13:15 thresholds.connects[0]",
        ], summary);
        Assert.Equal("target URLs must use ws:// or wss://, got http:// in 'http://127.0.0.1/ws'", result.Errors[1].Message);
        Assert.Equal("shares sum to 90%, they must sum to 100%", result.Errors[5].Message);
        Assert.Equal("behavior 'zombie' needs a 'zombie' block, e.g. zombie: { kind: silent-app }", result.Errors[6].Message);
        Assert.Equal("group name 'a' is already used (line 8, column 13); group names must be unique", result.Errors[7].Message);
        Assert.Equal("a 'zombie' block only applies to behavior: zombie (this group's behavior is 'steady')", result.Errors[8].Message);
        Assert.StartsWith("unknown metric 'conects' - did you mean 'connects'?", result.Errors[9].Message);
        Assert.StartsWith("group 'nobody' is not in the population", result.Errors[10].Message);
        Assert.Equal("expected a number after the operator, like 500 or 0.95", result.Errors[11].Message);
        Assert.Equal("avg does not apply to counter metric 'connects'; use count, rate, value", result.Errors[12].Message);
    }

    [Fact]
    public void Threshold_expression_errors_point_inside_the_expression()
    {
        var e = SingleError(Minimal + "\nthresholds:\n  reconnect_time: [p95<500]\n");
        Assert.Equal(new ScenarioError(Source, 6, 20, "thresholds.reconnect_time[0]", "unknown aggregation 'p95' - did you mean p(95)?; expected an aggregation: count, rate, value, avg, min, max, med or p(N)"), e);

        e = SingleError(Minimal + "\nthresholds:\n  connects:\n    - \"count = 0\"\n");
        Assert.Equal(new ScenarioError(Source, 7, 14, "thresholds.connects[0]", "'=' alone is not an operator; use == to compare"), e);
    }

    [Fact]
    public void Yaml_syntax_error_has_a_position()
    {
        var result = Parse("name: t\nclients: [1, 2\nduration: 5s\n");
        var e = Assert.Single(result.Errors);
        Assert.Equal((Source, 2, 12, "clients[0]"), (e.Source, e.Line, e.Column, e.Key));
        Assert.Contains("unclosed", e.Message);

        e = Assert.Single(Parse("name: t\n  clients: 1\n").Errors);
        Assert.Equal((Source, 2, 10), (e.Source, e.Line, e.Column));
    }

    [Fact]
    public void Empty_file_and_non_mapping_root_are_errors()
    {
        Assert.Equal(new ScenarioError(Source, 1, 1, "(root)", "the scenario is empty"), SingleError("# nothing here\n"));
        var e = SingleError("- a\n- b\n");
        Assert.Equal((1, 1, "(root)"), (e.Line, e.Column, e.Key));
        Assert.StartsWith("expected a mapping of scenario keys", e.Message);
    }

    [Theory]
    [InlineData("rampUp: 20s", 5, 9, "rampUp", "rampUp (20s) must not be longer than duration (10s)")]
    [InlineData("name: x", 5, 1, "name", "duplicate key 'name' (first given at line 1, column 1)")]
    [InlineData("messages: { size: 15 }", 5, 19, "messages.size", "must be from 16 to 16777216, got 15")]
    [InlineData("messages: { lossTimeout: 0 }", 5, 26, "messages.lossTimeout", "must be above 0s, got '0'")]
    [InlineData("heartbeat: { timeout: 5s }", 5, 23, "heartbeat.timeout", "a heartbeat timeout needs heartbeat.interval above 0s")]
    [InlineData("network: { bandwidthDown: 30MBs }", 5, 27, "network.bandwidthDown", "expected a bandwidth like 30Mbps, 256kbps or 800bps, got '30MBs'")]
    [InlineData("network: { loss: 0.2 }", 5, 18, "network.loss", "expected a percentage like 20%, got '0.2'")]
    [InlineData("network: { loss: 120% }", 5, 18, "network.loss", "must be from 0% and at most 100%, got '120%'")]
    [InlineData("network: { sourceAddresses: [10.0.0.0/24] }", 5, 30, "network.sourceAddresses[0]", "source addresses must lie in 127.0.0.0/8 (loopback), got '10.0.0.0/24'")]
    [InlineData("network: { sourceAddresses: [127.0.0.0/4] }", 5, 30, "network.sourceAddresses[0]", "the prefix length must be from /8 to /32, got '127.0.0.0/4'")]
    [InlineData("reconnect: { base: 2s, max: 1s }", 5, 29, "reconnect.max", "max (1s) must not be below base (2s)")]
    [InlineData("reconnect: { jitter: ful }", 5, 22, "reconnect.jitter", "unknown value 'ful' - did you mean 'full'?; expected one of: none, equal, full")]
    [InlineData("protocol: http", 5, 11, "protocol", "unknown value 'http'; expected one of: echo, session, none, signalr, json, socketio, graphql-ws")]
    [InlineData("seed: 1.5", 5, 7, "seed", "expected a whole number -9223372036854775808 or more, got '1.5'")]
    [InlineData("auth: { send: query }", 5, 7, "auth", "auth needs either jwt or tokenUrl")]
    [InlineData("auth: { tokenUrl: ftp://x/t }", 5, 19, "auth.tokenUrl", "expected an http:// or https:// URL, got 'ftp://x/t'")]
    [InlineData("auth: { jwt: { lifetime: 60s } }", 5, 14, "auth.jwt", "jwt needs exactly one of secretEnv, secretFile or generateKey: true")]
    [InlineData("auth: { jwt: { secretEnv: S, lifetime: 10s }, refresh: { before: 10s } }", 5, 66, "auth.refresh.before", "refresh.before (10s) must be shorter than jwt.lifetime (10s)")]
    [InlineData("auth: { jwt: { secretEnv: S, algorithm: ES256 } }", 5, 41, "auth.jwt.algorithm", "unknown algorithm 'ES256' - did you mean 'HS256'?; valid: HS256, HS384, HS512, RS256, RS384, RS512")]
    [InlineData("auth: { secret: x, tokenUrl: http://a/t }", 5, 9, "auth.secret", "secrets must come from secretEnv or secretFile")]
    [InlineData("auth: { jwt: { secretEnv: S }, send: protocol }", 5, 38, "auth.send", "send: protocol hands the token to the protocol's own handshake, and protocol echo has none; use query or header (protocols that carry a token: signalr, socketio, graphql-ws)")]
    public void Single_problem_reported_where_it_is(string extraLine, int line, int column, string key, string message)
    {
        var e = SingleError(Minimal + "\n" + extraLine + "\n");
        Assert.Equal(new ScenarioError(Source, line, column, key, message), e);
    }

    [Theory]
    [InlineData("{ name: g, behavior: flapping, flapping: { up: 0s..1s } }", 52, "population[0].flapping.up", "must be above 0s, got '0s..1s'")]
    [InlineData("{ name: g, behavior: flapping, flapping: { down: 2s..1s } }", 54, "population[0].flapping.down", "the range's minimum 2s is above its maximum 1s")]
    [InlineData("{ name: g, behavior: flapping, flapping: { down: 2..3s } }", 54, "population[0].flapping.down", "a duration needs a unit (ms, s, m or h), e.g. 500ms or 5s; got '2'")]
    [InlineData("{ name: g, behavior: flapping, flapping: { drop: [close, rst] } }", 62, "population[0].flapping.drop[1]", "unknown value 'rst'; expected one of: close, reset, blackhole")]
    [InlineData("{ name: g, behavior: zombie, zombie: { kind: reset, readBytesPerSecond: 5 } }", 57, "population[0].zombie.readBytesPerSecond", "readBytesPerSecond applies only to kind slow-reader (this kind is 'reset')")]
    [InlineData("{ name: g, behavior: zombie, zombie: { kind: reset, observeFor: 10s, expectDetectWithin: 20s } }", 94, "population[0].zombie.expectDetectWithin", "expectDetectWithin (20s) is longer than observeFor (10s), so it could never be confirmed")]
    [InlineData("{ name: g, behavior: switching, switching: { every: 1s } }", 48, "population[0].switching.interfaces", "missing required key 'interfaces' (a list of link profiles like [wifi-good, 4g]; or natRebinding: true)")]
    [InlineData("{ name: g, behavior: switching, switching: { interfaces: [wifi-good, 5g] } }", 74, "population[0].switching.interfaces[1]", "unknown link profile '5g' - did you mean '4g'?; valid: 3g, 4g, edge, ethernet, loopback, satellite, slow-3g, wifi-congested, wifi-good")]
    [InlineData("{ name: g, behavior: malformed, malformed: { cases: [F01, F01] } }", 63, "population[0].malformed.cases[1]", "case F01 is listed twice")]
    [InlineData("{ name: g, behavior: malformed, malformed: { cases: all, canaryShare: 100% } }", 75, "population[0].malformed.canaryShare", "must be from 0% up to but not including 100%, got '100%'")]
    [InlineData("{ name: g, share: 0% }", 23, "population[0].share", "must be above 0% and at most 100%, got '0%'")]
    [InlineData("{ name: G }", 13, "population[0].name", "expected a name like flapping-demo (lowercase letters, digits, '-', '_', '.'), got 'G'")]
    [InlineData("{ share: 100% }", 5, "population[0].name", "missing required key 'name' (a name like flapping-demo (lowercase letters, digits, '-', '_', '.'))")]
    [InlineData("{ name: g, behaviour: zombie }", 16, "population[0].behaviour", "unknown key 'behaviour' - did you mean 'behavior'?")]
    public void Group_problem_reported_where_it_is(string group, int column, string key, string message)
    {
        var e = SingleError(Minimal + "\npopulation:\n  - " + group + "\n");
        Assert.Equal(new ScenarioError(Source, 6, column, key, message), e);
    }

    [Fact]
    public void Each_target_url_is_checked_with_its_index()
    {
        var e = SingleError("name: t\ntarget: [ws://a/ws, tcp://b]\nclients: 1\nduration: 1s\n");
        Assert.Equal(new ScenarioError(Source, 2, 21, "target[1]", "target URLs must use ws:// or wss://, got tcp:// in 'tcp://b'"), e);
    }

    [Fact]
    public void Two_groups_need_explicit_shares()
    {
        var e = SingleError(Minimal + "\npopulation:\n  - { name: a, share: 100% }\n  - { name: b }\n");
        Assert.Equal(new ScenarioError(Source, 7, 5, "population[1].share", "missing required key 'share' (a percentage like 20%)"), e);
    }
}
