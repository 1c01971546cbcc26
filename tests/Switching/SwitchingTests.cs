using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Switching;

/// <summary>Resilience test 9 end to end through the CLI: handovers with the session protocol and with plain echo.</summary>
[Collection(ScaledRunsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SwitchingTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("switching");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static JsonObject Load(string outDir) => JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();

    private static long Count(JsonObject report, string metric) => (long)report["metrics"]![metric]!["value"]!;

    [Fact]
    public async Task Session_protocol_loses_and_duplicates_nothing_across_handovers_and_the_target_sees_every_interfaces_addresses()
    {
        var outDir = Path.Combine(_temp, "session");
        var result = await Simcluster.RunAsync("run", "scenarios/switching.yaml", "--clients", "60", "--duration", "25s",
            "--set", "rampUp=1s", "--set", "population[0].switching.every=2s..4s", "--no-live", "--out", outDir);
        Assert.True(result.ExitCode == 0, result.ToString());
        var report = Load(outDir);

        var switches = Count(report, "switches");
        Assert.True(switches >= 60 * 3, $"only {switches} switches");
        Assert.Equal(0, Count(report, "messages_lost"));
        Assert.Equal(0, Count(report, "messages_duplicated"));
        Assert.Equal(Count(report, "messages_sent"), Count(report, "messages_received")); // every message echoed exactly once
        Assert.True((long)report["metrics"]!["switch_resume_time"]!["count"]! > 0);

        // Each interface has its own source range: wifi 127.0.1.x, cellular 127.0.2.x, ethernet 127.0.3.x.
        var sources = report["targetStats"]!["after"]!["sourceAddresses"]!.AsObject().Select(s => s.Key).ToList();
        foreach (var prefix in new[] { "127.0.1.", "127.0.2.", "127.0.3." })
            Assert.Contains(sources, s => s.StartsWith(prefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_plain_echo_messages_in_flight_at_a_handover_are_reported_interrupted_not_forgotten()
    {
        var outDir = Path.Combine(_temp, "echo");
        var result = await Simcluster.RunAsync("run", "scenarios/switching.yaml", "--clients", "60", "--duration", "25s",
            "--set", "protocol=echo", "--set", "rampUp=1s", "--set", "messages.interval=100ms",
            "--set", "population[0].switching.every=2s..4s", "--no-live", "--out", outDir);
        Assert.True(Contract.Graded(result.ExitCode, outDir), result.ToString());
        var report = Load(outDir);
        var sent = Count(report, "messages_sent");
        var received = Count(report, "messages_received");
        var interrupted = Count(report, "messages_interrupted");
        Assert.True(interrupted > 0, result.ToString());
        Assert.Equal(sent, received + interrupted + Count(report, "messages_lost"));
    }

    [Fact]
    public async Task A_4g_link_profile_shows_its_round_trip_time_in_message_rtt()
    {
        var outDir = Path.Combine(_temp, "4g");
        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--duration", "8s",
            "--set", "population=[{name: steady, share: 100%}]", "--set", "network.profile=4g", "--set", "messages.interval=500ms",
            "--set", "thresholds={}", "--no-live", "--out", outDir);
        Assert.True(result.ExitCode == 0, result.ToString());
        var report = Load(outDir);
        var rtt = report["metrics"]!["message_rtt"]!;
        // The profile's 165 ms round trip is a floor no echo can beat: each direction waits its 82.5 ms before a byte
        // moves (the exact delays are FaultScheduleTests' on fake time; how far above the floor a busy machine lands
        // is a benchmark figure). Every message sent on the lossy link was answered or accounted for.
        Assert.True(Count(report, "messages_received") > 0, result.ToString());
        const double floorMs = 165 * 0.99; // the histogram keeps three significant digits
        Assert.True((double)rtt["min"]! >= floorMs, rtt.ToJsonString());
        Assert.True((double)rtt["med"]! >= floorMs, rtt.ToJsonString());
        Assert.Equal(Count(report, "messages_sent"), Count(report, "messages_received") + Count(report, "messages_lost")
            + Count(report, "messages_interrupted") + Count(report, "messages_unresolved") + Count(report, "messages_failed"));
    }
}
