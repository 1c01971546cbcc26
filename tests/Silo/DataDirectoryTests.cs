using SimCluster.Silo;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>The control API's data directory, checked before a silo starts (<see cref="DataDirectory"/>).</summary>
[Trait("Category", "Unit")]
public sealed class DataDirectoryTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("data-dir");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void A_missing_directory_is_created_and_accepted()
    {
        var path = Path.Combine(_temp, "a", "b");
        Assert.Null(DataDirectory.Problem(path));
        Assert.True(Directory.Exists(path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(path)); // the write check leaves nothing behind
    }

    [Fact]
    public void A_file_is_refused_naming_it()
    {
        var file = Path.Combine(_temp, "file");
        File.WriteAllText(file, "x");
        var problem = DataDirectory.Problem(file);
        Assert.Equal($"--data-dir {file} is a file, not a directory; pick a writable directory (in Kubernetes, mount a volume such as an emptyDir there)", problem);
    }

    [Fact]
    public void A_directory_under_a_file_cannot_be_created()
    {
        var file = Path.Combine(_temp, "file");
        File.WriteAllText(file, "x");
        var problem = DataDirectory.Problem(Path.Combine(file, "data"));
        Assert.NotNull(problem);
        Assert.StartsWith($"--data-dir {Path.Combine(file, "data")} cannot be created: ", problem);
    }

    [Fact]
    public void A_directory_nobody_may_write_is_refused_naming_it()
    {
        // sysfs refuses new files to every user, root included (a chmod would not stop root).
        Assert.True(Directory.Exists("/sys"), "this test needs Linux's /sys");
        var problem = DataDirectory.Problem("/sys");
        Assert.NotNull(problem);
        Assert.StartsWith("--data-dir /sys is not writable: ", problem);
    }
}

/// <summary>`simcluster silo` with an unusable --data-dir: the error, before the silo joins anything, and exit 105.</summary>
[Collection(ProbesCollection.Name)]
public sealed class DataDirectoryStartupTests
{
    [Fact]
    public async Task A_silo_whose_data_directory_is_unusable_says_so_and_exits_105()
    {
        await Simcluster.EnsureBuiltAsync();
        var temp = Simcluster.TempFolder("data-dir-silo");
        try
        {
            var file = Path.Combine(temp, "not-a-directory");
            File.WriteAllText(file, "x");
            foreach (var (dataDir, problem) in new[] { (file, $"--data-dir {file} is a file, not a directory"), ("/sys", "--data-dir /sys is not writable: ") })
            {
                var result = await Simcluster.RunAsync("silo", "--cluster", "localhost", "--silo-port", $"{BackgroundProcess.FreeLoopbackPort()}",
                    "--gateway-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--http-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--data-dir", dataDir);
                Assert.True(result.ExitCode == 105, result.ToString());
                Assert.Contains($"error: {problem}", result.Stderr);
                Assert.DoesNotContain("silo ready", result.Stdout);
            }

            // Without HTTP there is no control API, so the directory is not used and not checked.
            var primary = BackgroundProcess.FreeLoopbackPort();
            await using var silo = BackgroundProcess.Start("silo", ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
                ["silo", "--cluster", "localhost", "--silo-port", $"{primary}", "--primary-silo-port", $"{primary}", "--gateway-port", $"{BackgroundProcess.FreeLoopbackPort()}",
                 "--http-port", "0", "--data-dir", file], Simcluster.RepoRoot));
            await silo.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the silo starting", TimeSpan.FromSeconds(90));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
