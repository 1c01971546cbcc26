using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using SimCluster.Target;
using static SimCluster.Tests.Target.TargetTestClient;

namespace SimCluster.Tests.Target;

public sealed partial class StatsEndpointTests
{
    [Fact]
    public async Task Uris_use_the_actual_port()
    {
        await using var target = await StartAsync();
        Assert.NotEqual(0, target.WebSocketUri.Port);
        Assert.Equal($"ws://127.0.0.1:{target.WebSocketUri.Port}/ws", target.WebSocketUri.ToString());
        Assert.Equal($"http://127.0.0.1:{target.WebSocketUri.Port}/", target.BaseUri.ToString());
        Assert.Equal("ok", await GetStringAsync(target, "/health"));
    }

    [Fact]
    public async Task Port_in_use_fails_start_without_hanging()
    {
        await using var first = await StartAsync();
        var taken = first.WebSocketUri.Port;
        await Assert.ThrowsAnyAsync<IOException>(() => ReferenceTarget.StartAsync(new TargetOptions { Port = taken }));
        Assert.Equal("ok", await GetStringAsync(first, "/health"));
    }

    [Fact]
    public async Task Stats_json_is_camel_case_and_round_trips()
    {
        await using var target = await StartAsync(new TargetOptions { EchoDelay = TimeSpan.FromMilliseconds(5), PushRate = 0.5 });
        var ws = await ConnectAsync(target);
        await SendTextAsync(ws, "ping");
        await ReceiveAsync(ws);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await WaitForStatsAsync(target, s => s.OpenConnections == 0);

        var json = await GetStringAsync(target, "/stats?gc=1");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        foreach (var name in new[] { "openConnections", "upgrades", "rejectedHandshakes", "messagesIn", "messagesOut", "bytesIn", "bytesOut", "closes", "sessions", "sourceAddresses", "process", "uptimeSeconds", "options" })
        {
            Assert.True(root.TryGetProperty(name, out _), $"missing {name}");
        }

        Assert.Equal(1, root.GetProperty("closes").GetProperty("byCode").GetProperty("1000").GetInt64());
        Assert.Equal(1, root.GetProperty("closes").GetProperty("clientInitiated").GetProperty("1000").GetInt64());
        Assert.Equal(3, root.GetProperty("process").GetProperty("gcCollections").GetArrayLength());
        Assert.True(root.GetProperty("process").GetProperty("rssBytes").GetInt64() > 0);
        Assert.Equal(5, root.GetProperty("options").GetProperty("echoDelayMs").GetDouble());
        Assert.Equal(0.5, root.GetProperty("options").GetProperty("pushRate").GetDouble());

        var snapshot = TargetStatsSnapshot.FromJson(json);
        Assert.Equal(1, snapshot.Upgrades);
        Assert.Equal(1, snapshot.MessagesIn);
        Assert.Equal(1, snapshot.Closes.ClientInitiated["1000"]);
        Assert.Equal(1, snapshot.SourceAddresses["127.0.0.1"]);
        Assert.Equal(1 << 20, snapshot.Options.MaxMessageSize);
        Assert.Equal(json, snapshot.ToJson());
    }

    [GeneratedRegex("""^simcluster_target_[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[0-9.]+(E[+-]?[0-9]+)?$""")]
    private static partial Regex SampleLine();

    [Fact]
    public async Task Metrics_are_prometheus_text_with_help_and_type()
    {
        await using var target = await StartAsync(new TargetOptions { MaxMessageSize = 10 });
        var ws = await ConnectAsync(target);
        await SendTextAsync(ws, "this is longer than ten bytes");
        await ReceiveAsync(ws);
        await CloseQuietlyAsync(ws);
        await WaitForStatsAsync(target, s => s.OpenConnections == 0);

        var text = await GetStringAsync(target, "/metrics");
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var typed = new HashSet<string>();
        foreach (var line in lines)
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "gauge", "counter" });
                typed.Add(parts[2]);
            }
            else if (!line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                Assert.Matches(SampleLine(), line);
                var name = line.Split('{', ' ')[0];
                Assert.Contains(name, typed); // TYPE comes before the samples
            }
        }

        foreach (var name in new[] { "open_connections", "upgrades_total", "messages_in_total", "messages_out_total", "bytes_in_total", "bytes_out_total", "closes_total", "aborted_total", "process_resident_memory_bytes", "managed_heap_bytes" })
        {
            Assert.Contains("simcluster_target_" + name, typed);
        }

        Assert.Contains("simcluster_target_closes_total{code=\"1009\",initiator=\"server\"} 1", lines);
        Assert.Contains("simcluster_target_upgrades_total 1", lines);
        Assert.Contains("simcluster_target_open_connections 0", lines);
    }
}
