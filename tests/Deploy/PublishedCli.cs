using System.Diagnostics;
using System.IO.Enumeration;
using System.Runtime.InteropServices;
using System.Text;

namespace SimCluster.Tests.Deploy;

/// <summary>
/// What the container build does, without Docker: the files the Dockerfile's COPY lines name (minus
/// .dockerignore) copied into a fresh build context, and its `dotnet publish` line run there unchanged
/// (only -o points into the temp folder and $TARGETARCH is this machine's). Once per test class.
/// </summary>
public sealed class PublishedCli : IAsyncLifetime
{
    private DirectoryInfo? _root;

    public string Executable { get; private set; } = "";
    public string PublishLog { get; private set; } = "";
    public TimeSpan PublishTime { get; private set; }

    public async Task InitializeAsync()
    {
        // The ./simcluster build that the other collections wait for goes first: two compiles at once on a
        // 2-core box slow both, and nothing waits for this publish.
        await SimCluster.Tests.Support.Simcluster.EnsureBuiltAsync();
        _root = Directory.CreateTempSubdirectory("simcluster-image-");
        var context = Path.Combine(_root.FullName, "context");
        var output = Path.Combine(_root.FullName, "app");
        CopyBuildContext(DockerfileModel.Load(), context);

        var arguments = DockerfileModel.Load().PublishArguments.Select(a => a.Replace("$TARGETARCH", TargetArch).Replace("${TARGETARCH}", TargetArch)).ToList();
        var o = arguments.IndexOf("-o");
        Assert.True(o >= 0 && o + 1 < arguments.Count, "the Dockerfile's dotnet publish has no -o DIR");
        arguments[o + 1] = output;

        var psi = new ProcessStartInfo(DotnetHost, arguments)
        {
            WorkingDirectory = context,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        CleanEnvironment(psi);
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // leave no build servers behind
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet publish (as in the Dockerfile) did not finish within 10 minutes:\n" + Tail(log.ToString()));
        }
        PublishTime = watch.Elapsed;
        PublishLog = log.ToString();
        if (process.ExitCode != 0) throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{Tail(PublishLog)}");
        Executable = Path.Combine(output, "simcluster");
    }

    public Task DisposeAsync()
    {
        try { _root?.Delete(recursive: true); }
        catch (IOException) { }
        return Task.CompletedTask;
    }

    /// <summary>Docker's TARGETARCH for this machine.</summary>
    public static string TargetArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>Removes what the test host sets for itself and a child build must not inherit, and anything that would make the silo think it runs in a pod.</summary>
    internal static void CleanEnvironment(ProcessStartInfo psi)
    {
        foreach (var key in psi.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("KUBERNETES_", StringComparison.Ordinal) || key.StartsWith("ORLEANS_", StringComparison.Ordinal)
                || key.StartsWith("POD_", StringComparison.Ordinal) || key.StartsWith("SIMCLUSTER_", StringComparison.Ordinal))
                psi.Environment.Remove(key);
        }
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Copies the sources of every context COPY into <paramref name="context"/>, skipping what .dockerignore excludes.</summary>
    internal static void CopyBuildContext(DockerfileModel dockerfile, string context)
    {
        var ignore = DockerIgnore.Load();
        foreach (var (sources, _) in dockerfile.ContextCopies)
        {
            foreach (var source in sources)
            {
                var relative = source.TrimEnd('/');
                var full = Path.Combine(DeployFiles.RepoRoot, relative);
                if (File.Exists(full))
                {
                    Assert.False(ignore.Excludes(relative), $"COPY {source}: excluded by .dockerignore");
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(context, relative))!);
                    File.Copy(full, Path.Combine(context, relative), overwrite: true);
                    continue;
                }
                Assert.True(Directory.Exists(full), $"COPY {source}: no such file or folder in the repository");
                foreach (var file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories))
                {
                    var path = Path.GetRelativePath(DeployFiles.RepoRoot, file).Replace('\\', '/');
                    if (ignore.Excludes(path)) continue;
                    var target = Path.Combine(context, path);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(file, target, overwrite: true);
                }
            }
        }
    }

    private static string Tail(string log) => log.Length <= 4000 ? log : "…" + log[^4000..];
}

/// <summary>The patterns of the repository's .dockerignore (the subset of the syntax it uses: paths, `**/`, `*`).</summary>
internal sealed class DockerIgnore
{
    public IReadOnlyList<string> Patterns { get; }

    private DockerIgnore(IReadOnlyList<string> patterns) => Patterns = patterns;

    public static DockerIgnore Load() => new([.. File.ReadAllLines(Path.Combine(DeployFiles.RepoRoot, ".dockerignore"))
        .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.TrimEnd('/'))]);

    public bool Excludes(string path)
    {
        Assert.DoesNotContain(Patterns, p => p.StartsWith('!')); // exceptions are not modelled here
        var segments = path.Split('/');
        foreach (var pattern in Patterns)
        {
            if (pattern.StartsWith("**/", StringComparison.Ordinal))
            {
                var rest = pattern[3..];
                if (segments.Any(s => FileSystemName.MatchesSimpleExpression(rest, s, ignoreCase: false))) return true;
            }
            else
            {
                var parts = pattern.Split('/');
                if (parts.Length <= segments.Length && parts.Select((p, i) => FileSystemName.MatchesSimpleExpression(p, segments[i], ignoreCase: false)).All(m => m)) return true;
            }
        }
        return false;
    }
}
