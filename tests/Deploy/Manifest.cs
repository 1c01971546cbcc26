using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace SimCluster.Tests.Deploy;

/// <summary>A pod template with what owns it: a Deployment's or a Job's.</summary>
internal sealed record PodTemplate(string OwnerKind, string OwnerName, V1PodTemplateSpec Template)
{
    public V1PodSpec Spec => Template.Spec;
    public IDictionary<string, string> Labels => Template.Metadata?.Labels ?? new Dictionary<string, string>();
    public IEnumerable<V1Container> AllContainers => (Spec.InitContainers ?? []).Concat(Spec.Containers ?? []);
    public override string ToString() => $"{OwnerKind}/{OwnerName}";
}

/// <summary>The typed objects of one rendered overlay, with the look-ups the contract tests need.</summary>
internal sealed partial class Manifest(IList<object> objects)
{
    public IList<object> Objects { get; } = objects;

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public IEnumerable<PodTemplate> PodTemplates =>
        All<V1Deployment>().Select(d => new PodTemplate("Deployment", d.Metadata.Name, d.Spec.Template))
            .Concat(All<V1Job>().Select(j => new PodTemplate("Job", j.Metadata.Name, j.Spec.Template)));

    /// <summary>The silo Deployment: the one whose container runs `simcluster silo`.</summary>
    public V1Deployment SiloDeployment => Single(All<V1Deployment>().Where(d => d.Spec.Template.Spec.Containers.Any(IsSilo)), "silo Deployment (a container with args [silo, ...])");

    public V1Container SiloContainer => SiloDeployment.Spec.Template.Spec.Containers.Single(IsSilo);

    /// <summary>The Job that runs a scenario: its container runs `simcluster run`.</summary>
    public V1Job RunJob => Single(All<V1Job>().Where(j => j.Spec.Template.Spec.Containers.Any(IsRun)), "Job running `simcluster run`");

    public V1Container RunContainer => RunJob.Spec.Template.Spec.Containers.Single(IsRun);

    public static bool IsSilo(V1Container c) => c.Args is { Count: > 0 } && c.Args[0] == "silo";
    public static bool IsRun(V1Container c) => c.Args is { Count: > 0 } && c.Args[0] == "run";
    public static bool IsTarget(V1Container c) => c.Args is { Count: > 0 } && c.Args[0] == "target";

    public V1ConfigMap ConfigMap(string name) => Single(All<V1ConfigMap>().Where(c => c.Metadata.Name == name), $"ConfigMap {name}");

    /// <summary>The container's environment as Kubernetes builds it: envFrom ConfigMaps first, then env (fieldRefs as "fieldRef:PATH", Secrets as "secretKeyRef:NAME/KEY").</summary>
    public Dictionary<string, string> Environment(V1Container container)
    {
        var env = new Dictionary<string, string>();
        foreach (var from in container.EnvFrom ?? [])
        {
            Assert.True(from.ConfigMapRef is not null, $"{container.Name}: only ConfigMap envFrom is expected");
            foreach (var (key, value) in ConfigMap(from.ConfigMapRef.Name).Data ?? new Dictionary<string, string>()) env[key] = value;
        }
        foreach (var e in container.Env ?? [])
        {
            env[e.Name] = e.Value ?? (e.ValueFrom?.FieldRef is { } f ? "fieldRef:" + f.FieldPath
                : e.ValueFrom?.ConfigMapKeyRef is { } k ? ConfigMap(k.Name).Data[k.Key]
                // Secrets are created by the operator, never kept in the manifests: only their reference is known.
                : e.ValueFrom?.SecretKeyRef is { } s ? $"secretKeyRef:{s.Name}/{s.Key}"
                : throw new Xunit.Sdk.XunitException($"{container.Name}: env {e.Name} has an unexpected source"));
        }
        return env;
    }

    /// <summary>Args with $(VAR) expanded as the kubelet does; an undefined variable fails (Kubernetes would pass it on literally).</summary>
    public List<string> ExpandedArgs(V1Container container)
    {
        var env = Environment(container);
        return [.. (container.Args ?? []).Select(arg => VariableReference().Replace(arg, m =>
        {
            var name = m.Groups[1].Value;
            Assert.True(env.TryGetValue(name, out var value), $"container {container.Name}: argument '{arg}' uses $({name}), which its environment does not define");
            return value!;
        }))];
    }

    /// <summary>The value after <paramref name="option"/> in <paramref name="args"/>, or null.</summary>
    public static string? OptionValue(IList<string> args, string option)
    {
        var i = args.IndexOf(option);
        return i >= 0 && i + 1 < args.Count ? args[i + 1] : null;
    }

    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VariableReference();

    private static T Single<T>(IEnumerable<T> items, string what)
    {
        var list = items.ToList();
        Assert.True(list.Count == 1, $"expected exactly one {what}, found {list.Count}");
        return list[0];
    }
}
