using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>Cluster misconfigurations end with a clear error and exit 105, never a hang.</summary>
[Collection(ProbesCollection.Name)]
public sealed class MisconfigurationTests
{
    [Fact]
    public async Task Redis_that_nobody_serves_is_named_by_the_silo_and_by_the_run()
    {
        var port = BackgroundProcess.FreeLoopbackPort(); // free: nothing listens there
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before the silo's clock starts
        // Both wait out the same Redis connect timeout, independently of each other: side by side, not one after the other.
        var siloExit = Simcluster.RunAsync("silo", "--cluster", $"redis://127.0.0.1:{port}", "--http-port", "0",
            "--silo-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--gateway-port", $"{BackgroundProcess.FreeLoopbackPort()}");
        var runExit = Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--cluster", $"redis://127.0.0.1:{port}", "--no-live");
        var (silo, run) = (await siloExit, await runExit);
        Assert.True(silo.ExitCode == 105, silo.ToString());
        Assert.Contains($"cannot reach Redis at 127.0.0.1:{port}", silo.Stderr);

        Assert.True(run.ExitCode == 105, run.ToString());
        Assert.Contains($"cannot reach Redis at 127.0.0.1:{port}", run.Stderr);
    }

    [Fact]
    public async Task A_second_silo_on_the_same_port_is_refused_at_once()
    {
        var (siloPort, gatewayPort) = (BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort());
        await Simcluster.EnsureBuiltAsync();
        await using var first = BackgroundProcess.Start("first silo", ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["silo", "--cluster", "localhost", "--silo-port", $"{siloPort}", "--primary-silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--http-port", "0"],
            Simcluster.RepoRoot));
        await first.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the first silo starting", TimeSpan.FromSeconds(90));

        var second = await Simcluster.RunAsync("silo", "--cluster", "localhost", "--silo-port", $"{siloPort}", "--primary-silo-port", $"{siloPort}",
            "--gateway-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--http-port", "0");
        Assert.True(second.ExitCode == 105, second.ToString());
        Assert.Contains($"--silo-port {siloPort} is already in use", second.Stderr);
        Assert.False(first.HasExited, "the first silo went down");
    }

    [Fact]
    public async Task Silos_without_an_http_port_listen_on_no_default_port_so_several_share_a_machine()
    {
        // --http-port 0 means no HTTP at all; Kestrel left alone would take localhost:5000 and the second silo would fail.
        var primary = BackgroundProcess.FreeLoopbackPort();
        await Simcluster.EnsureBuiltAsync();
        await using var first = BackgroundProcess.Start("first silo", ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["silo", "--cluster", "localhost", "--silo-port", $"{primary}", "--primary-silo-port", $"{primary}", "--gateway-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--http-port", "0"],
            Simcluster.RepoRoot));
        await using var second = BackgroundProcess.Start("second silo", ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["silo", "--cluster", "localhost", "--silo-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--primary-silo-port", $"{primary}", "--gateway-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--http-port", "0"],
            Simcluster.RepoRoot));

        await first.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the first silo starting", TimeSpan.FromSeconds(90));
        await second.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the second silo starting", TimeSpan.FromSeconds(90));
        Assert.False(first.HasExited || second.HasExited, "a silo went down");
    }
}
