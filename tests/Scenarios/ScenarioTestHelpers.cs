using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios;

namespace SimCluster.Tests.Scenarios;

internal static class ScenarioTestHelpers
{
    public const string Source = "test.yaml";

    /// <summary>The scenario example users were promised works, verbatim.</summary>
    public const string ContractExample = """
        name: flapping-demo                # required
        target: embedded                   # required: `embedded` (reference target started by the run) or ws:// / wss:// URL, or a list of URLs
        clients: 1000                      # required
        duration: 60s                      # required
        rampUp: 10s                        # default 0s
        seed: 42                           # default: random, always written to the report
        protocol: echo                     # echo (any echo server) | session (section 4) | none; default echo
        messages: { interval: 1s, size: 64, lossTimeout: 5s }   # interval 0 = no application messages
        heartbeat: { interval: 0s }        # client-sent WebSocket PINGs for heartbeat_rtt; 0 = off
        network: { profile: ethernet }     # named profile or inline latency/jitter/bandwidthDown/bandwidthUp/loss
        reconnect: { policy: exponential, base: 100ms, max: 30s, jitter: full, maxAttempts: 0 }
        auth:                              # optional
          jwt: { secretEnv: SIM_JWT_SECRET, lifetime: 60s }      # or tokenUrl: http://... returning {access_token, expires_in}
          send: query                      # query (?token=) | header (Authorization: Bearer)
          refresh: { mode: in-band, before: 10s }                # in-band | reconnect | none
        population:                        # default: one `steady` group with every client; shares sum to 100%
          - { name: steady, share: 80% }
          - name: flappers
            share: 20%
            behavior: flapping             # steady | flapping | zombie | switching | malformed
            flapping: { up: 2s..5s, down: 100ms..1s, drop: reset, cycles: 20 }
        thresholds:
          connect_failures: ["count==0"]
          reconnect_time: ["p(95)<500"]
          messages_lost: ["count==0"]
        """;

    /// <summary>The smallest valid scenario; tests append or replace lines to provoke one error.</summary>
    public const string Minimal = """
        name: t
        target: embedded
        clients: 10
        duration: 10s
        """;

    public static ScenarioLoadResult Parse(string yaml, params string[] sets) =>
        ScenarioLoader.Parse(yaml, Source, sets.Length == 0 ? null : sets);

    public static Scenario Valid(string yaml, params string[] sets)
    {
        var result = Parse(yaml, sets);
        Assert.True(result.Ok, string.Join("\n", result.Errors));
        return result.Scenario!;
    }

    /// <summary>Asserts exactly one error and returns it.</summary>
    public static ScenarioError SingleError(string yaml, params string[] sets)
    {
        var result = Parse(yaml, sets);
        Assert.Null(result.Scenario);
        Assert.False(result.Ok);
        return Assert.Single(result.Errors);
    }
}
