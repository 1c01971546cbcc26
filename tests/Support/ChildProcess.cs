using System.Diagnostics;
using System.Text;

namespace SimCluster.Tests.Support;

/// <summary>The outcome of a child process that ran to its end.</summary>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F1} s\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs programs the way a user would, with a hard bound: a hung child is killed and the test fails.</summary>
internal static class ChildProcess
{
    /// <summary>
    /// A child started as from a terminal: SIGINT, SIGQUIT and SIGHUP back to their default handling first (perl,
    /// part of every Debian system, resets them and execs the program, so the pid is the program's). A test host run
    /// in the background (`nohup`, `&amp;` in a script, as CI may start it) ignores those signals, and an ignored
    /// signal stays ignored across exec: the CLI could then never see the Ctrl-C or hang-up the test sends it.
    /// </summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var info = new ProcessStartInfo("perl")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in (string[])["-e", "$SIG{INT} = $SIG{QUIT} = $SIG{HUP} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec $ARGV[0]: $!\\n\"", fileName, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }
        // The test host runs under `dotnet test`; a build started from here must not inherit its MSBuild settings.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // The suite keeps both cores busy, and most children live a few seconds, so most of their CPU is the JIT's
        // and the runtime's start-up. Without PGO's instrumented tier and with one GC heap, a short run costs about a
        // quarter less CPU; recompiling only methods called 10,000 times (not 30) takes a third off what is left
        // (docs/benchmarks.md, "The test suite"). These change how fast the code runs, never what it counts; the
        // benchmarks run the shipped settings.
        info.Environment["DOTNET_TieredPGO"] = "0";
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TC_CallCountThreshold"] = "10000";
        return info;
    }

    public static async Task<ProcessResult> RunAsync(ProcessStartInfo info, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close(); // no input: as in CI

        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync();
            string output;
            lock (stdout) lock (stderr) output = $"--- stdout\n{stdout}\n--- stderr\n{stderr}";
            Assert.Fail($"'{info.FileName} {string.Join(' ', info.ArgumentList)}' did not finish within {bound} and was killed\n{output}");
        }
        process.WaitForExit(); // flushes the redirected streams
        lock (stdout) lock (stderr) return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString(), clock.Elapsed);
    }
}

/// <summary>The repository's own <c>./simcluster</c> script, run from the repository root as a user would.</summary>
internal static class Simcluster
{
    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static volatile bool _built;

    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SimCluster.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no SimCluster.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs <c>./simcluster ARGS</c>. The first call may build the CLI (a minute or so on an idle machine, ten on a loaded 2-core one), so it gets twenty minutes; later ones five.</summary>
    public static async Task<ProcessResult> RunAsync(params string[] args)
    {
        await EnsureBuiltAsync();
        return await RunWithEnvironmentAsync(new Dictionary<string, string>(), args);
    }

    /// <summary>
    /// Builds the CLI through <c>./simcluster version</c> once per test run, before a test starts a clock or a
    /// background process; later calls return at once (each .NET process costs a few seconds of CPU).
    /// </summary>
    public static async Task EnsureBuiltAsync()
    {
        if (_built) return;
        await BuildGate.WaitAsync();
        try
        {
            if (!_built)
            {
                var warmUp = await ChildProcess.RunAsync(ChildProcess.StartInfo(Path.Combine(RepoRoot, "simcluster"), ["version"], RepoRoot), TimeSpan.FromMinutes(20));
                Assert.True(warmUp.ExitCode == 0, $"building the CLI through ./simcluster failed:\n{warmUp}");
                _built = true;
            }
        }
        finally
        {
            BuildGate.Release();
        }
    }

    /// <summary>Like <see cref="RunAsync"/>, with extra environment variables for the child (e.g. a signing key).</summary>
    public static async Task<ProcessResult> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await EnsureBuiltAsync();
        var info = ChildProcess.StartInfo(Path.Combine(RepoRoot, "simcluster"), args, RepoRoot);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return await ChildProcess.RunAsync(info, TimeSpan.FromMinutes(5)); // a hang guard: a loaded 2-core machine can stretch a 30 s run past two minutes
    }

    /// <summary>A fresh folder under the system temp folder, deleted by the caller.</summary>
    public static string TempFolder(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"simcluster-{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
