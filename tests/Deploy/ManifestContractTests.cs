using k8s;
using k8s.Models;
using Orleans.Hosting.Kubernetes;
using SimCluster.Silo;

namespace SimCluster.Tests.Deploy;

/// <summary>
/// Every overlay under deploy/k8s/overlays, rendered with `kubectl kustomize` and loaded into the typed
/// Kubernetes models with unknown fields rejected, checked against what the code reads and serves.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ManifestContractTests
{
    public static TheoryData<string> Overlays => DeployFiles.OverlayNames();

    [KubectlFact]
    public void There_is_a_local_and_a_production_overlay()
    {
        Assert.Contains("local", DeployFiles.Overlays);
        Assert.Contains("production", DeployFiles.Overlays);
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Every_document_loads_into_the_typed_models_with_unknown_fields_rejected(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        Assert.NotEmpty(manifest.Objects);
        Assert.All(manifest.Objects, o => Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(o));
        // Everything lands in one namespace, which the overlay creates.
        var ns = Assert.Single(manifest.All<V1Namespace>());
        Assert.All(manifest.Objects.OfType<IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace),
            o => Assert.Equal(ns.Metadata.Name, o.Metadata.NamespaceProperty));
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Silo_pods_carry_the_orleans_labels_and_environment_the_silo_reads(string overlay)
    {
        // The silo reads the variable names Microsoft.Orleans.Hosting.Kubernetes reads.
        Assert.Equal(KubernetesHostingOptions.ServiceIdEnvironmentVariable, SiloOptions.ServiceIdVariable);
        Assert.Equal(KubernetesHostingOptions.ClusterIdEnvironmentVariable, SiloOptions.ClusterIdVariable);
        Assert.Equal(KubernetesHostingOptions.PodIPEnvironmentVariable, SiloOptions.PodIpVariable);
        Assert.Equal(KubernetesHostingOptions.PodNameEnvironmentVariable, SiloOptions.PodNameVariable);
        Assert.Equal(KubernetesHostingOptions.PodNamespaceEnvironmentVariable, SiloOptions.PodNamespaceVariable);

        var manifest = DeployFiles.Load(overlay);
        var labels = manifest.SiloDeployment.Spec.Template.Metadata.Labels;
        // `simcluster run --cluster` connects with the default ids; the silos must use the same ones.
        var defaults = new SiloOptions();
        Assert.True(labels.TryGetValue(KubernetesHostingOptions.ServiceIdLabel, out var serviceId), $"pod label {KubernetesHostingOptions.ServiceIdLabel} missing");
        Assert.True(labels.TryGetValue(KubernetesHostingOptions.ClusterIdLabel, out var clusterId), $"pod label {KubernetesHostingOptions.ClusterIdLabel} missing");
        Assert.Equal(defaults.ServiceId, serviceId);
        Assert.Equal(defaults.ClusterId, clusterId);

        var env = manifest.Environment(manifest.SiloContainer);
        var expected = new Dictionary<string, string>
        {
            [SiloOptions.PodNameVariable] = "fieldRef:metadata.name",
            [SiloOptions.PodNamespaceVariable] = "fieldRef:metadata.namespace",
            [SiloOptions.PodIpVariable] = "fieldRef:status.podIP",
            [SiloOptions.ServiceIdVariable] = $"fieldRef:metadata.labels['{KubernetesHostingOptions.ServiceIdLabel}']",
            [SiloOptions.ClusterIdVariable] = $"fieldRef:metadata.labels['{KubernetesHostingOptions.ClusterIdLabel}']",
        };
        foreach (var (name, source) in expected)
        {
            Assert.True(env.TryGetValue(name, out var actual), $"silo env {name} missing");
            Assert.Equal(source, actual);
        }
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Silo_ports_match_the_code(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        var silo = manifest.SiloContainer;
        var ports = silo.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        Assert.Equal(SiloOptions.DefaultSiloPort, ports["silo"]);
        Assert.Equal(SiloOptions.DefaultGatewayPort, ports["gateway"]);
        Assert.Equal(SiloOptions.DefaultHttpPort, ports["http"]);

        var args = manifest.ExpandedArgs(silo);
        AssertOptionsExist("silo", args);
        foreach (var (option, port) in new[] { ("--silo-port", "silo"), ("--gateway-port", "gateway"), ("--http-port", "http") })
        {
            if (Manifest.OptionValue(args, option) is { } value) Assert.Equal(ports[port].ToString(), value);
        }
        // Probes and the Service come in over the pod address, not loopback.
        Assert.Equal("0.0.0.0", Manifest.OptionValue(args, "--http-host"));

        var service = Assert.Single(manifest.All<V1Service>(), s => Manifest.Selects(s.Spec.Selector, manifest.SiloDeployment.Spec.Template.Metadata.Labels));
        var http = Assert.Single(service.Spec.Ports);
        Assert.Equal(SiloOptions.DefaultHttpPort, http.Port);
        Assert.Equal("http", http.TargetPort.Value);
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Probes_hit_endpoints_the_code_serves(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        var silo = manifest.SiloContainer;
        Assert.Equal("/health/startup", silo.StartupProbe?.HttpGet?.Path);
        Assert.Equal("/health/ready", silo.ReadinessProbe?.HttpGet?.Path);
        Assert.Equal("/health/live", silo.LivenessProbe?.HttpGet?.Path);

        foreach (var pod in manifest.PodTemplates)
        {
            foreach (var container in pod.AllContainers)
            {
                foreach (var (kind, probe) in new[] { ("startup", container.StartupProbe), ("readiness", container.ReadinessProbe), ("liveness", container.LivenessProbe) })
                {
                    if (probe?.HttpGet is not { } get) continue;
                    var served = Manifest.IsSilo(container) ? SourceFacts.SiloHttpPaths
                        : Manifest.IsTarget(container) ? SourceFacts.TargetHttpPaths
                        : throw new Xunit.Sdk.XunitException($"{pod}/{container.Name}: HTTP {kind} probe on a container whose endpoints are unknown");
                    Assert.True(served.Contains(get.Path), $"{pod}/{container.Name}: {kind} probe path {get.Path} is not served (known: {string.Join(", ", served)})");
                    Assert.True(container.Ports?.Any(p => p.Name == get.Port.Value || p.ContainerPort.ToString() == get.Port.Value) == true,
                        $"{pod}/{container.Name}: {kind} probe port {get.Port.Value} is not a container port");
                }
            }
        }
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void The_silo_data_directory_is_a_writable_volume_beside_the_read_only_root(string overlay)
    {
        // The control API writes each run's scenario and report under --data-dir; on a read-only root filesystem
        // (the default relative path would be under it) a silo refuses to start, so the path must be a mounted volume.
        var manifest = DeployFiles.Load(overlay);
        var silo = manifest.SiloContainer;
        Assert.True(silo.SecurityContext?.ReadOnlyRootFilesystem, "the silo's root filesystem is expected read-only");
        var dataDir = Manifest.OptionValue(manifest.ExpandedArgs(silo), "--data-dir") ?? "";
        Assert.True(Path.IsPathRooted(dataDir), $"--data-dir must be an absolute path on a volume (got '{dataDir}')");
        var mount = Assert.Single(silo.VolumeMounts ?? [], m => dataDir == m.MountPath || dataDir.StartsWith(m.MountPath.TrimEnd('/') + "/", StringComparison.Ordinal));
        Assert.NotEqual(true, mount.ReadOnlyProperty);
        var volume = Assert.Single(manifest.SiloDeployment.Spec.Template.Spec.Volumes, v => v.Name == mount.Name);
        Assert.NotNull(volume.EmptyDir);
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Termination_grace_outlasts_the_silo_shutdown(string overlay)
    {
        var grace = DeployFiles.Load(overlay).SiloDeployment.Spec.Template.Spec.TerminationGracePeriodSeconds;
        Assert.NotNull(grace);
        Assert.True(grace > SiloOptions.ShutdownTimeout.TotalSeconds, $"terminationGracePeriodSeconds {grace} <= silo shutdown timeout {SiloOptions.ShutdownTimeout.TotalSeconds} s");
        Assert.True(grace > SourceFacts.ProcessTerminationTimeout.TotalSeconds, $"terminationGracePeriodSeconds {grace} <= the CLI's termination timeout {SourceFacts.ProcessTerminationTimeout.TotalSeconds} s");
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Rbac_is_minimal(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        Assert.Empty(manifest.All<V1ClusterRole>());
        Assert.Empty(manifest.All<V1ClusterRoleBinding>());

        var roles = manifest.All<V1Role>().ToDictionary(r => r.Metadata.Name);
        var accounts = manifest.All<V1ServiceAccount>().Select(a => a.Metadata.Name).ToHashSet();
        var granted = new Dictionary<string, List<V1PolicyRule>>();
        foreach (var binding in manifest.All<V1RoleBinding>())
        {
            Assert.Equal("Role", binding.RoleRef.Kind);
            Assert.True(roles.ContainsKey(binding.RoleRef.Name), $"RoleBinding {binding.Metadata.Name} refers to a missing Role {binding.RoleRef.Name}");
            foreach (var subject in binding.Subjects)
            {
                Assert.Equal("ServiceAccount", subject.Kind);
                Assert.Contains(subject.Name, accounts);
                Assert.Equal(binding.Metadata.NamespaceProperty, subject.NamespaceProperty);
                if (!granted.TryGetValue(subject.Name, out var rules)) granted[subject.Name] = rules = [];
                rules.AddRange(roles[binding.RoleRef.Name].Rules);
            }
        }
        Assert.All(roles.Values, r => Assert.Contains(manifest.All<V1RoleBinding>(), b => b.RoleRef.Name == r.Metadata.Name));

        var siloAccount = manifest.SiloDeployment.Spec.Template.Spec.ServiceAccountName;
        var runnerAccount = manifest.RunJob.Spec.Template.Spec.ServiceAccountName;
        foreach (var (account, rules) in granted)
        {
            var rule = Assert.Single(rules);
            Assert.DoesNotContain("*", rule.ApiGroups.Concat(rule.Resources).Concat(rule.Verbs));
            Assert.Null(rule.NonResourceURLs);
            if (account == siloAccount)
            {
                // What Microsoft.Orleans.Hosting.Kubernetes needs, no more (delete only with DeleteDefunctSiloPods).
                Assert.Equal([""], rule.ApiGroups);
                Assert.Equal(["pods"], rule.Resources);
                Assert.Equal(["get", "list", "patch", "watch"], rule.Verbs.Order());
            }
            else if (account == runnerAccount)
            {
                Assert.Equal(["apps"], rule.ApiGroups);
                Assert.Equal(["deployments"], rule.Resources);
                Assert.Equal(["get", "list", "watch"], rule.Verbs.Order());
            }
            else
            {
                Assert.Fail($"service account {account} is granted a Role but runs neither the silos nor the Job");
            }
        }
        // Tokens are mounted only where a Role is granted.
        foreach (var pod in manifest.PodTemplates)
        {
            var account = pod.Spec.ServiceAccountName ?? "default";
            if (pod.Spec.AutomountServiceAccountToken != false) Assert.True(granted.ContainsKey(account), $"{pod} mounts a token for {account}, which no Role needs");
        }
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Kubernetes_hosting_is_on_exactly_where_its_role_is_granted(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        var spec = manifest.SiloDeployment.Spec.Template.Spec;
        var podsRole = manifest.All<V1RoleBinding>().Any(b => b.Subjects.Any(s => s.Name == spec.ServiceAccountName)
            && manifest.All<V1Role>().Single(r => r.Metadata.Name == b.RoleRef.Name).Rules.Any(r => r.Resources.Contains("pods")));
        var env = manifest.Environment(manifest.SiloContainer);
        var hosting = env.TryGetValue(SiloOptions.KubernetesHostingVariable, out var value) && value == "true";
        Assert.Equal(podsRole, hosting);
        if (hosting) Assert.True(spec.AutomountServiceAccountToken != false, "Kubernetes hosting needs the service account token");
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Images_are_pinned_and_never_latest(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        foreach (var pod in manifest.PodTemplates)
        {
            foreach (var container in pod.AllContainers)
            {
                var image = container.Image;
                var name = image.Split('@')[0];
                var slash = name.LastIndexOf('/');
                var colon = name.LastIndexOf(':');
                Assert.True(image.Contains('@') || colon > slash, $"{pod}/{container.Name}: image {image} has no tag (means latest)");
                var tag = colon > slash ? name[(colon + 1)..] : "";
                Assert.NotEqual("latest", tag);
                if (container.Args is { Count: > 0 } && (Manifest.IsSilo(container) || Manifest.IsRun(container) || Manifest.IsTarget(container)))
                {
                    Assert.Equal(SourceFacts.Version, tag);
                    Assert.EndsWith("simcluster", name[..colon]);
                    Assert.True(container.Command is null, $"{pod}/{container.Name}: `command` would replace the image's simcluster entrypoint");
                }
            }
        }
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Every_container_has_cpu_and_memory_requests_and_limits(string overlay)
    {
        foreach (var pod in DeployFiles.Load(overlay).PodTemplates)
        {
            foreach (var container in pod.AllContainers)
            {
                var r = container.Resources;
                Assert.True(r?.Requests is not null && r.Limits is not null, $"{pod}/{container.Name}: no resources");
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    Assert.True(r!.Requests.TryGetValue(resource, out var request), $"{pod}/{container.Name}: no {resource} request");
                    Assert.True(r.Limits.TryGetValue(resource, out var limit), $"{pod}/{container.Name}: no {resource} limit");
                    Assert.True(request!.ToDecimal() > 0 && request.ToDecimal() <= limit!.ToDecimal(), $"{pod}/{container.Name}: {resource} request {request} above limit {limit}");
                }
            }
        }
    }

    /// <summary>Memory per silo from docs/benchmarks.md: up to 68 KB RSS per connected client, ~300 MiB for the process.</summary>
    [KubectlTheory]
    [InlineData("local", 5_000)]
    [InlineData("production", 18_000)]
    public void Silo_memory_limit_holds_the_clients_it_is_sized_for(string overlay, int clients)
    {
        const decimal perClient = 68 * 1024m, process = 300 * 1024 * 1024m;
        var limit = DeployFiles.Load(overlay).SiloContainer.Resources.Limits["memory"].ToDecimal();
        Assert.True(limit >= clients * perClient + process, $"{overlay}: memory limit {limit / 1024 / 1024:0} MiB < {clients} x 68 KB + 300 MiB");
        // And no more clients than the open-file limit allows (20,000 per process, ~2,000 kept for the silo).
        Assert.True(clients <= 18_000);
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Pods_meet_the_restricted_pod_security_standard(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        Assert.Equal("restricted", Assert.Single(manifest.All<V1Namespace>()).Metadata.Labels["pod-security.kubernetes.io/enforce"]);
        foreach (var pod in manifest.PodTemplates)
        {
            var podSecurity = pod.Spec.SecurityContext;
            Assert.True(podSecurity?.RunAsNonRoot == true, $"{pod}: runAsNonRoot");
            Assert.True(podSecurity!.RunAsUser is > 0, $"{pod}: runAsUser must be a non-root UID");
            Assert.Equal("RuntimeDefault", podSecurity.SeccompProfile?.Type);
            Assert.True(pod.Spec.HostNetwork != true && pod.Spec.HostPID != true && pod.Spec.HostIPC != true, $"{pod}: host namespaces");
            foreach (var container in pod.AllContainers)
            {
                var security = container.SecurityContext;
                Assert.True(security?.AllowPrivilegeEscalation == false, $"{pod}/{container.Name}: allowPrivilegeEscalation must be false");
                Assert.True(security!.Privileged != true, $"{pod}/{container.Name}: privileged");
                Assert.Equal(["ALL"], security.Capabilities?.Drop);
                Assert.Null(security.Capabilities?.Add);
            }
        }
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Pod_disruption_budget_covers_the_silos_and_allows_drains(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        var pdb = Assert.Single(manifest.All<V1PodDisruptionBudget>());
        Assert.True(Manifest.Selects(pdb.Spec.Selector.MatchLabels, manifest.SiloDeployment.Spec.Template.Metadata.Labels), "the PodDisruptionBudget does not select the silos");
        Assert.False(Manifest.Selects(pdb.Spec.Selector.MatchLabels, manifest.RunJob.Spec.Template.Metadata.Labels), "the PodDisruptionBudget selects the Job's pod");
        Assert.NotNull(pdb.Spec.MaxUnavailable);
        Assert.NotEqual("0", pdb.Spec.MaxUnavailable.Value); // 0 would block every node drain
        Assert.Equal("AlwaysAllow", pdb.Spec.UnhealthyPodEvictionPolicy);
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Services_select_pods_and_name_their_ports(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        foreach (var service in manifest.All<V1Service>())
        {
            var pods = manifest.PodTemplates.Where(p => p.OwnerKind == "Deployment" && Manifest.Selects(service.Spec.Selector, p.Labels)).ToList();
            var pod = Assert.Single(pods);
            foreach (var port in service.Spec.Ports)
            {
                Assert.Contains(pod.Spec.Containers.SelectMany(c => c.Ports ?? []), p => p.Name == port.TargetPort.Value);
            }
        }
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Every_variable_in_container_args_is_defined(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        foreach (var pod in manifest.PodTemplates)
        {
            foreach (var container in pod.AllContainers) manifest.ExpandedArgs(container);
        }
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Silos_and_the_job_share_a_membership_the_overlay_can_reach(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        var siloCluster = Manifest.OptionValue(manifest.ExpandedArgs(manifest.SiloContainer), "--cluster");
        var runCluster = Manifest.OptionValue(manifest.ExpandedArgs(manifest.RunContainer), "--cluster");
        Assert.Equal(siloCluster, runCluster);
        Assert.NotNull(siloCluster);
        // Several pods form one cluster only through a real membership provider.
        Assert.StartsWith("redis://", siloCluster);
        var redis = new Uri(siloCluster);
        AssertReachable(manifest, redis.Host, redis.Port);
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void The_job_runs_a_mounted_scenario_once_every_silo_is_ready(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        var job = manifest.RunJob;
        var spec = job.Spec.Template.Spec;
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.Equal("Never", spec.RestartPolicy);

        // Paused start: the last init container returns only when every replica of the silo Deployment is ready.
        var siloDeployment = manifest.SiloDeployment.Metadata.Name;
        var waits = (spec.InitContainers ?? []).Select(c => string.Join(' ', manifest.ExpandedArgs(c))).ToList();
        Assert.NotEmpty(waits);
        Assert.StartsWith($"rollout status deployment/{siloDeployment} ", waits[^1] + " ");
        Assert.All(waits, w => Assert.Contains($"deployment/{siloDeployment}", w));
        Assert.All(spec.InitContainers!, c => Assert.StartsWith("registry.k8s.io/kubectl:", c.Image));
        Assert.All(spec.InitContainers!, c => Assert.Equal(["kubectl"], c.Command));

        var run = manifest.RunContainer;
        var args = manifest.ExpandedArgs(run);
        AssertOptionsExist("run", args);
        Assert.Contains("--no-live", args);

        // The scenario file is one of the mounted scenarios.
        var scenarioPath = args[1];
        var mount = Assert.Single(run.VolumeMounts, m => scenarioPath.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        var volume = spec.Volumes.Single(v => v.Name == mount.Name);
        Assert.NotNull(volume.ConfigMap);
        Assert.Contains(scenarioPath[(mount.MountPath.Length + 1)..], manifest.ConfigMap(volume.ConfigMap.Name).Data.Keys);

        // A cluster cannot use `target: embedded` (the clients run in the silo pods): the Job names a target, allow-listed.
        var target = new Uri(Manifest.OptionValue(args, "--target") ?? throw new Xunit.Sdk.XunitException("the Job passes no --target"));
        Assert.Contains(target.Scheme, new[] { "ws", "wss" });
        Assert.Equal(target.Host, Manifest.OptionValue(args, "--allow-target"));
        if (!target.Host.Contains('.')) AssertReachable(manifest, target.Host, target.Port);

        // The report folder is writable.
        var outDir = Manifest.OptionValue(args, "--out")!;
        Assert.Contains(run.VolumeMounts, m => outDir.StartsWith(m.MountPath + "/", StringComparison.Ordinal) && m.ReadOnlyProperty != true);
    }

    [KubectlTheory, MemberData(nameof(Overlays))]
    public void Scenario_config_map_holds_the_repository_scenarios(string overlay)
    {
        var manifest = DeployFiles.Load(overlay);
        var volume = manifest.RunJob.Spec.Template.Spec.Volumes.Single(v => v.ConfigMap is not null);
        var data = manifest.ConfigMap(volume.ConfigMap.Name).Data;
        var scenarios = Directory.GetFiles(Path.Combine(DeployFiles.RepoRoot, "scenarios"), "*.yaml").ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        const string fix = "run deploy/k8s/sync-scenarios.sh to copy scenarios/*.yaml into the kustomize base";
        Assert.True(scenarios.Keys.Order().SequenceEqual(data.Keys.Order()),
            $"scenarios ConfigMap has [{string.Join(", ", data.Keys.Order())}], scenarios/ has [{string.Join(", ", scenarios.Keys.Order())}]: {fix}");
        foreach (var (name, text) in scenarios) Assert.True(text == data[name], $"{name} in the ConfigMap differs from scenarios/{name}: {fix}");
    }

    private static void AssertReachable(Manifest manifest, string host, int port)
    {
        // A bare name is a Service in this namespace; anything with a dot is outside the overlay.
        if (host.Contains('.')) return;
        var service = manifest.All<V1Service>().SingleOrDefault(s => s.Metadata.Name == host);
        Assert.True(service is not null, $"no Service named {host} in the overlay");
        Assert.Contains(service!.Spec.Ports, p => p.Port == port);
    }

    private static void AssertOptionsExist(string command, IList<string> args)
    {
        var known = SourceFacts.CommandOptions(command);
        foreach (var option in args.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
        {
            Assert.True(known.Contains(option), $"`simcluster {command}` has no option {option} (client/Cli/Program.cs knows {string.Join(", ", known.Order())})");
        }
    }
}
