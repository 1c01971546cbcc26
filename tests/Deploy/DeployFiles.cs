using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;

namespace SimCluster.Tests.Deploy;

/// <summary>The repository's deploy/ folder, kubectl, and rendered overlays loaded into typed Kubernetes models.</summary>
internal static class DeployFiles
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static string K8s => Path.Combine(RepoRoot, "deploy", "k8s");
    public static string Dockerfile => Path.Combine(RepoRoot, "deploy", "docker", "Dockerfile");

    /// <summary>Every overlay under deploy/k8s/overlays (each is a deployable configuration).</summary>
    public static IReadOnlyList<string> Overlays { get; } =
        [.. Directory.GetDirectories(Path.Combine(RepoRoot, "deploy", "k8s", "overlays")).Select(Path.GetFileName).Order()!];

    public static TheoryData<string> OverlayNames()
    {
        var data = new TheoryData<string>();
        foreach (var overlay in Overlays) data.Add(overlay);
        return data;
    }

    /// <summary>kubectl on PATH, or null.</summary>
    public static readonly string? Kubectl = FindOnPath("kubectl");

    public const string NoKubectl = "kubectl is not on PATH: the kustomize overlays cannot be rendered here (install kubectl to run these tests)";

    private static readonly ConcurrentDictionary<string, Lazy<string>> Rendered = new();

    /// <summary>`kubectl kustomize` of an overlay (cached per test run).</summary>
    public static string Render(string overlay) =>
        Rendered.GetOrAdd(overlay, o => new Lazy<string>(() => Kustomize(Path.Combine(K8s, "overlays", o)))).Value;

    public static string Kustomize(string directory)
    {
        if (Kubectl is null) throw new InvalidOperationException(NoKubectl);
        var psi = new ProcessStartInfo(Kubectl, ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl kustomize {directory} did not finish within 60 s");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"kubectl kustomize {directory} failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Every document of an overlay as its typed model; an unknown field anywhere throws.</summary>
    public static Manifest Load(string overlay) => new(KubernetesYaml.LoadAllFromString(Render(overlay), strict: true));

    public static string ReadRepoFile(params string[] parts) => File.ReadAllText(Path.Combine([RepoRoot, .. parts]));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SimCluster.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("repository root (SimCluster.sln) not found above " + AppContext.BaseDirectory);
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that needs kubectl: skipped, saying why, when it is not installed.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (DeployFiles.Kubectl is null) Skip = DeployFiles.NoKubectl;
    }
}

/// <summary>A theory that needs kubectl: skipped, saying why, when it is not installed.</summary>
public sealed class KubectlTheoryAttribute : TheoryAttribute
{
    public KubectlTheoryAttribute()
    {
        if (DeployFiles.Kubectl is null) Skip = DeployFiles.NoKubectl;
    }
}
