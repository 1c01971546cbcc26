using k8s;
using k8s.Models;
using YamlDotNet.Core;

namespace SimCluster.Tests.Deploy;

/// <summary>
/// `kubectl kustomize` does not validate fields, so the contract tests rely on KubernetesClient's strict
/// loading to catch typos. These tests prove that it does.
/// </summary>
[Trait("Category", "Unit")]
public sealed class StrictLoadingTests
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: probe
        spec:
          selector:
            matchLabels: {app: probe}
          template:
            metadata:
              labels: {app: probe}
            spec:
              containers:
                - name: c
                  image: example:1.0
                  readinessProbe:
                    httpGet: {path: /health/ready, port: 8080}
        """;

    [Fact]
    public void A_correct_manifest_loads()
    {
        var deployment = Assert.IsType<V1Deployment>(Assert.Single(KubernetesYaml.LoadAllFromString(Deployment, strict: true)));
        Assert.Equal("/health/ready", deployment.Spec.Template.Spec.Containers[0].ReadinessProbe.HttpGet.Path);
    }

    [Theory]
    [InlineData("readinessProbe:", "readinesProbe:", "readinesProbe")]
    [InlineData("matchLabels:", "matchLabel:", "matchLabel")]
    [InlineData("  name: probe", "  nme: probe", "nme")]
    public void A_misspelled_field_is_rejected(string field, string typo, string reported)
    {
        var yaml = Deployment.Replace(field, typo);
        var e = Assert.ThrowsAny<YamlException>(() => KubernetesYaml.LoadAllFromString(yaml, strict: true));
        Assert.Contains(reported, e.Message);
        // Without strict mode the typo would vanish silently: strictness is what catches it.
        Assert.Single(KubernetesYaml.LoadAllFromString(yaml, strict: false));
    }

    [Fact]
    public void An_unknown_kind_or_version_is_rejected()
    {
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(Deployment.Replace("kind: Deployment", "kind: Deploymnet"), strict: true));
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(Deployment.Replace("apps/v1", "apps/v2"), strict: true));
    }

    [KubectlFact]
    public void A_typo_in_a_deploy_manifest_fails_the_overlay()
    {
        var copy = Directory.CreateTempSubdirectory("simcluster-k8s-");
        try
        {
            CopyTree(DeployFiles.K8s, copy.FullName);
            var silo = Path.Combine(copy.FullName, "base", "silo-deployment.yaml");
            var text = File.ReadAllText(silo);
            Assert.Contains("          readinessProbe:", text);
            File.WriteAllText(silo, text.Replace("          readinessProbe:", "          readinesProbe:"));

            var rendered = DeployFiles.Kustomize(Path.Combine(copy.FullName, "overlays", "local")); // kustomize itself accepts it
            var e = Assert.ThrowsAny<YamlException>(() => KubernetesYaml.LoadAllFromString(rendered, strict: true));
            Assert.Contains("readinesProbe", e.Message);
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
