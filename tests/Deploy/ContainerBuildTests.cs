using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SimCluster.Silo;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Deploy;

/// <summary>
/// The container build as far as this machine allows (no Docker engine): the Dockerfile's `dotnet publish`
/// succeeds, and the published `simcluster silo`, given the environment the Kubernetes manifests give it,
/// starts, answers its health endpoints, joins a second silo on loopback, and stops cleanly on SIGTERM.
/// </summary>
[Collection(PublishCollection.Name)]
public sealed class ContainerBuildTests(PublishedCli cli) : IClassFixture<PublishedCli>
{
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public void The_dockerfile_publish_produces_the_entrypoint()
    {
        Assert.True(File.Exists(cli.Executable), $"{cli.Executable} missing after publish:\n{cli.PublishLog}");
        Assert.True(File.Exists(Path.ChangeExtension(cli.Executable, ".dll")));
        // Framework-dependent on the aspnet runtime image: the runtimeconfig names ASP.NET Core.
        var runtimeConfig = File.ReadAllText(Path.ChangeExtension(cli.Executable, ".runtimeconfig.json"));
        Assert.Contains("Microsoft.AspNetCore.App", runtimeConfig);
        Assert.DoesNotContain("\"includedFrameworks\"", runtimeConfig); // not self-contained
    }

    [Fact]
    public async Task The_published_silo_with_the_manifest_environment_answers_its_health_endpoints_and_stops_on_sigterm()
    {
        var (environment, _) = ManifestEnvironment("simcluster-silo-7d9f-abcde");
        await using var silo = SiloProcess.Start(cli.Executable, environment);
        await silo.WaitReadyAsync(ReadyWithin);

        foreach (var path in new[] { "/health/live", "/health/startup", "/health/ready", "/dashboard/" }) // the token does not follow redirects
        {
            Assert.True(await silo.GetAsync(path) == HttpStatusCode.OK, $"GET {path} did not answer 200:\n{silo.Output}");
        }

        var grace = TimeSpan.FromSeconds(BaseSiloDeployment().Spec.Template.Spec.TerminationGracePeriodSeconds!.Value);
        await silo.TerminateAsync(grace); // within the manifest's termination grace, or Kubernetes would SIGKILL it
        Assert.True(silo.ExitCode == 0, $"exit code {silo.ExitCode} after SIGTERM:\n{silo.Output}");
    }

    [Fact]
    public async Task Two_published_silos_with_the_manifest_environment_form_one_cluster_on_loopback()
    {
        var (envA, ids) = ManifestEnvironment("simcluster-silo-7d9f-aaaaa");
        var (envB, _) = ManifestEnvironment("simcluster-silo-7d9f-bbbbb");
        await using var a = SiloProcess.Start(cli.Executable, envA);
        await a.WaitReadyAsync(ReadyWithin);
        await using var b = SiloProcess.Start(cli.Executable, envB, primarySiloPort: a.SiloPort);
        await b.WaitReadyAsync(ReadyWithin);

        // An Orleans client with the ids from the pod labels sees both silos, named after their pods.
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(c => c.UseLocalhostClustering(a.GatewayPort, ids.ServiceId, ids.ClusterId));
        using var host = builder.Build();
        using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await host.StartAsync(connect.Token);
        try
        {
            var management = host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
            string[] names = [];
            for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(250))
            {
                names = [.. (await management.GetDetailedHosts(onlyActive: true)).Select(h => h.SiloName).Order()];
                if (names.Length == 2) break;
            }
            Assert.Equal([envA[SiloOptions.PodNameVariable], envB[SiloOptions.PodNameVariable]], names);
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await host.StopAsync(stop.Token); }
            catch (OperationCanceledException) { }
        }

        await b.TerminateAsync(TimeSpan.FromSeconds(45));
        await a.TerminateAsync(TimeSpan.FromSeconds(45));
        Assert.True(a.ExitCode == 0 && b.ExitCode == 0, $"exit codes {a.ExitCode}/{b.ExitCode}:\n{a.Output}\n{b.Output}");
    }

    /// <summary>
    /// The silo container's environment from deploy/k8s (base plus the rbac component), resolved as the
    /// kubelet would for a pod named <paramref name="podName"/> at 127.0.0.1. KUBERNETES_SERVICE_HOST stays
    /// unset, so SIMCLUSTER_KUBERNETES_HOSTING=true must not switch Kubernetes hosting on.
    /// </summary>
    private static (Dictionary<string, string> Environment, (string ServiceId, string ClusterId) Ids) ManifestEnvironment(string podName)
    {
        var deployment = BaseSiloDeployment();
        var labels = deployment.Spec.Template.Metadata.Labels;
        var env = deployment.Spec.Template.Spec.Containers.Single(Manifest.IsSilo).Env.ToList();
        var hosting = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(DeployFiles.K8s, "components", "rbac", "silo-hosting.yaml")), strict: true)
            .OfType<V1Deployment>().Single().Spec.Template.Spec.Containers.Single().Env;
        env.AddRange(hosting);

        var resolved = new Dictionary<string, string>();
        foreach (var e in env)
        {
            if (e.ValueFrom?.SecretKeyRef is { } secret)
            {
                // The operator creates this Secret (docs/kubernetes.md); the test stands in a token of its own.
                Assert.Equal(("simcluster-api-token", "token"), (secret.Name, secret.Key));
                resolved[e.Name] = SiloProcess.TestApiToken;
                continue;
            }
            resolved[e.Name] = e.Value ?? e.ValueFrom!.FieldRef.FieldPath switch
            {
                "metadata.name" => podName,
                "metadata.namespace" => "simcluster",
                "status.podIP" => "127.0.0.1",
                var path when path.StartsWith("metadata.labels['", StringComparison.Ordinal) => labels[path["metadata.labels['".Length..^2]],
                var path => throw new Xunit.Sdk.XunitException($"unexpected fieldRef {path}"),
            };
        }
        Assert.Equal("127.0.0.1", resolved[SiloOptions.PodIpVariable]);
        Assert.Equal("true", resolved[SiloOptions.KubernetesHostingVariable]);
        return (resolved, (resolved[SiloOptions.ServiceIdVariable], resolved[SiloOptions.ClusterIdVariable]));
    }

    private static V1Deployment BaseSiloDeployment() =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(DeployFiles.K8s, "base", "silo-deployment.yaml")), strict: true)
            .OfType<V1Deployment>().Single();
}
