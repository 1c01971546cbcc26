using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using SimCluster.Silo;
using OrleansSiloOptions = Orleans.Configuration.SiloOptions;
using SiloOptions = SimCluster.Silo.SiloOptions;

namespace SimCluster.Tests.Deploy;

/// <summary>How `simcluster silo` reads the environment the Kubernetes manifests give it.</summary>
public sealed class SiloEnvironmentTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Ids_address_and_name_come_from_the_environment()
    {
        var options = new SiloOptions().WithEnvironment(Env(
            (SiloOptions.ClusterIdVariable, "c1"), (SiloOptions.ServiceIdVariable, "s1"),
            (SiloOptions.PodIpVariable, "10.1.2.3"), (SiloOptions.PodNameVariable, "simcluster-silo-abc")));
        Assert.Equal("c1", options.ClusterId);
        Assert.Equal("s1", options.ServiceId);
        Assert.Equal("10.1.2.3", options.AdvertisedAddress);
        Assert.Equal("simcluster-silo-abc", options.SiloName);
        Assert.False(options.KubernetesHosting);
    }

    [Fact]
    public void An_empty_environment_changes_nothing()
    {
        var defaults = new SiloOptions();
        Assert.Equal(defaults, defaults.WithEnvironment(_ => null));
        Assert.Equal(defaults, defaults.WithEnvironment(_ => ""));
    }

    [Theory]
    [InlineData(null, "true", false)]   // outside Kubernetes: never, whatever the manifest says
    [InlineData("10.96.0.1", null, false)]  // in a pod without the rbac component: off
    [InlineData("10.96.0.1", "false", false)]
    [InlineData("10.96.0.1", "true", true)]
    [InlineData("10.96.0.1", "TRUE", true)]
    public void Kubernetes_hosting_needs_a_pod_and_the_opt_in(string? serviceHost, string? optIn, bool expected)
    {
        var options = new SiloOptions().WithEnvironment(name => name switch
        {
            SiloOptions.KubernetesServiceHostVariable => serviceHost,
            SiloOptions.KubernetesHostingVariable => optIn,
            _ => null,
        });
        Assert.Equal(expected, options.KubernetesHosting);
    }

    [Fact]
    public void The_http_host_must_be_an_address()
    {
        Assert.Contains(new SiloOptions { HttpHost = "everywhere" }.Validate(), e => e.StartsWith("--http-host", StringComparison.Ordinal));
        Assert.Empty(new SiloOptions { HttpHost = "0.0.0.0", Token = new ApiToken("0123456789abcdef") }.Validate());
        // Off loopback, the control API and dashboard need a token (long enough to resist guessing).
        Assert.Contains(new SiloOptions { HttpHost = "0.0.0.0" }.Validate(), e => e.StartsWith("--http-host: 0.0.0.0 is not loopback", StringComparison.Ordinal));
        Assert.Contains(new SiloOptions { HttpHost = "0.0.0.0", Token = new ApiToken("short") }.Validate(), e => e.Contains("shorter than 16", StringComparison.Ordinal));
        Assert.Empty(new SiloOptions { HttpHost = "127.0.0.1" }.Validate());
        Assert.Contains(new SiloOptions { AdvertisedAddress = "pod" }.Validate(), e => e.Contains("POD_IP", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_pod_silo_advertises_the_pod_ip_and_listens_on_every_address(bool kubernetesHosting)
    {
        var options = new SiloOptions { Cluster = "redis://127.0.0.1:6379", HttpPort = 0, KubernetesHosting = kubernetesHosting }
            .WithEnvironment(Env((SiloOptions.PodIpVariable, "10.1.2.3"), (SiloOptions.PodNameVariable, "simcluster-silo-abc"),
                                 (SiloOptions.ClusterIdVariable, "c1"), (SiloOptions.ServiceIdVariable, "s1")));
        options = options with { KubernetesHosting = kubernetesHosting }; // WithEnvironment saw no KUBERNETES_SERVICE_HOST
        await using var app = SiloHost.BuildServer(options); // built, not started: nothing connects

        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Parse("10.1.2.3"), endpoints.AdvertisedIPAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Any, SiloOptions.DefaultSiloPort), endpoints.SiloListeningEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Any, SiloOptions.DefaultGatewayPort), endpoints.GatewayListeningEndpoint);
        var cluster = app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("c1", "s1"), (cluster.ClusterId, cluster.ServiceId));

        // Microsoft.Orleans.Hosting.Kubernetes is wired in exactly when asked for.
        var kubernetes = app.Services.GetServices<IConfigureOptions<ClusterOptions>>().Any(c => c.GetType().Namespace == "Orleans.Hosting.Kubernetes");
        Assert.Equal(kubernetesHosting, kubernetes);
        // Without hosting the silo is still named after its pod. (With hosting the package names it from
        // POD_NAME itself and insists on POD_NAMESPACE, which only a pod's environment has.)
        if (!kubernetesHosting) Assert.Equal("simcluster-silo-abc", app.Services.GetRequiredService<IOptions<OrleansSiloOptions>>().Value.SiloName);
    }
}
