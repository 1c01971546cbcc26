using System.Text.Json;
using System.Xml.Linq;
using SimCluster.Silo;

namespace SimCluster.Tests.Deploy;

/// <summary>deploy/docker/Dockerfile and .dockerignore, read as text (no Docker engine here).</summary>
[Trait("Category", "Unit")]
public sealed class DockerfileTests
{
    private static readonly DockerfileModel Dockerfile = DockerfileModel.Load();

    [Fact]
    public void It_is_multi_stage_sdk_to_aspnet_runtime()
    {
        Assert.True(Dockerfile.StageImages.Count >= 2, "expected a build stage and a runtime stage");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", Dockerfile.StageImages[0]);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", Dockerfile.StageImages[Dockerfile.FinalStage]);
        // The runtime stage takes only the published output from the build stage.
        Assert.Contains(Dockerfile.Instructions, i => i.Stage == Dockerfile.FinalStage && i.Keyword == "COPY" && i.Arguments.StartsWith("--from=build /app ", StringComparison.Ordinal));
    }

    [Fact]
    public void Base_images_are_pinned_and_never_latest()
    {
        foreach (var image in Dockerfile.StageImages)
        {
            var tag = image.Contains(':') ? image[(image.LastIndexOf(':') + 1)..] : "";
            Assert.False(tag is "" or "latest", $"base image {image} is not pinned");
            Assert.DoesNotContain("$", image);
        }
    }

    [Fact]
    public void The_runtime_stage_runs_as_a_non_root_user()
    {
        var user = Dockerfile.Instructions.LastOrDefault(i => i.Stage == Dockerfile.FinalStage && i.Keyword == "USER");
        Assert.NotNull(user);
        Assert.DoesNotContain(user!.Arguments.Split(':')[0], new[] { "root", "0" });
        // $APP_UID is the .NET images' non-root user (1654), which the manifests' runAsUser names.
        Assert.Equal("$APP_UID", user.Arguments);
        Assert.Contains("runAsUser: 1654", File.ReadAllText(Path.Combine(DeployFiles.K8s, "base", "silo-deployment.yaml")));
    }

    [Fact]
    public void The_entrypoint_is_the_simcluster_command()
    {
        var entrypoint = Dockerfile.Instructions.Last(i => i.Stage == Dockerfile.FinalStage && i.Keyword == "ENTRYPOINT");
        var exec = JsonSerializer.Deserialize<string[]>(entrypoint.Arguments)!;
        Assert.Equal($"{Dockerfile.WorkDir(Dockerfile.FinalStage)}/simcluster", Assert.Single(exec));
        var cli = XDocument.Load(Path.Combine(DeployFiles.RepoRoot, "client", "Cli", "SimCluster.Cli.csproj"));
        Assert.Equal("simcluster", cli.Descendants("AssemblyName").Single().Value);
        var cmd = JsonSerializer.Deserialize<string[]>(Dockerfile.Instructions.Last(i => i.Keyword == "CMD").Arguments)!;
        Assert.Equal("silo", cmd[0]);
    }

    [Fact]
    public void It_publishes_the_cli_in_release()
    {
        var args = Dockerfile.PublishArguments;
        Assert.Equal("publish", args[0]);
        Assert.Equal("client/Cli/SimCluster.Cli.csproj", args[1]);
        Assert.Equal("Release", args[Array.IndexOf(args, "-c") + 1]);
        Assert.Equal("/app", args[Array.IndexOf(args, "-o") + 1]);
    }

    [Fact]
    public void It_copies_every_project_the_cli_builds_from()
    {
        var copied = Dockerfile.ContextCopies.Where(c => c.Stage == 0).SelectMany(c => c.Sources).Select(s => s.TrimEnd('/')).ToList();
        Assert.Contains("Directory.Build.props", copied);
        Assert.Contains("Directory.Packages.props", copied);
        var ignore = DockerIgnore.Load();
        foreach (var project in ProjectClosure(Path.Combine(DeployFiles.RepoRoot, "client", "Cli", "SimCluster.Cli.csproj")))
        {
            var relative = Path.GetRelativePath(DeployFiles.RepoRoot, project).Replace('\\', '/');
            Assert.True(copied.Any(c => relative.StartsWith(c + "/", StringComparison.Ordinal)), $"{relative} is built by the CLI but no COPY brings it into the image build");
            Assert.False(ignore.Excludes(relative), $"{relative} is excluded by .dockerignore");
        }
    }

    [Fact]
    public void Dockerignore_keeps_host_build_output_out()
    {
        var ignore = DockerIgnore.Load();
        foreach (var path in new[] { "silo/bin/Debug/net10.0/SimCluster.Silo.dll", "client/Cli/obj/project.assets.json", "tests/Deploy/DockerfileTests.cs", ".git/HEAD", ".build/cli/simcluster" })
        {
            Assert.True(ignore.Excludes(path), $"{path} would be sent to the Docker build");
        }
        Assert.False(ignore.Excludes("silo/SiloHost.cs"));
        Assert.False(ignore.Excludes("scenarios/smoke.yaml"));
    }

    [Fact]
    public void It_exposes_the_silo_ports()
    {
        var exposed = Dockerfile.Instructions.Where(i => i.Keyword == "EXPOSE").SelectMany(i => i.Arguments.Split(' ')).Select(int.Parse).ToHashSet();
        Assert.Contains(SiloOptions.DefaultSiloPort, exposed);
        Assert.Contains(SiloOptions.DefaultGatewayPort, exposed);
        Assert.Contains(SiloOptions.DefaultHttpPort, exposed);
    }

    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([Path.GetFullPath(project)]);
        while (stack.TryPop(out var current))
        {
            if (!seen.Add(current)) continue;
            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                stack.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, reference.Attribute("Include")!.Value.Replace('\\', '/'))));
            }
        }
        return seen;
    }
}
