using System.Net;

namespace SimCluster.Silo;

/// <summary>How one silo joins its cluster and where it listens.</summary>
public sealed record SiloOptions
{
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;
    public const int DefaultHttpPort = 8080;

    /// <summary>
    /// How long a stopping silo may take (Orleans' graceful shutdown: deactivations, leaving membership).
    /// Kubernetes' terminationGracePeriodSeconds must be longer (deploy/k8s checks it).
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    // Environment variables `simcluster silo` reads. In Kubernetes the manifests set them from the downward
    // API (deploy/k8s/base/silo-deployment.yaml); the names are the ones Microsoft.Orleans.Hosting.Kubernetes reads.
    public const string ClusterIdVariable = "ORLEANS_CLUSTER_ID";
    public const string ServiceIdVariable = "ORLEANS_SERVICE_ID";
    public const string PodIpVariable = "POD_IP";
    public const string PodNameVariable = "POD_NAME";
    public const string PodNamespaceVariable = "POD_NAMESPACE";
    /// <summary>Set by the kubelet in every pod: the silo is running inside Kubernetes.</summary>
    public const string KubernetesServiceHostVariable = "KUBERNETES_SERVICE_HOST";
    /// <summary><c>true</c> turns on Microsoft.Orleans.Hosting.Kubernetes (needs the pods Role of deploy/k8s/components/rbac).</summary>
    public const string KubernetesHostingVariable = "SIMCLUSTER_KUBERNETES_HOSTING";

    /// <summary>
    /// <c>localhost</c> (development clustering on this machine), <c>redis://HOST:PORT</c>, or
    /// <c>postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE</c> (ADO.NET clustering, see <see cref="PostgresClustering"/>).
    /// </summary>
    public string Cluster { get; init; } = "localhost";
    /// <summary>PostgreSQL clustering: a file whose first line is the password (when the URL has none; else PGPASSWORD).</summary>
    public string? ClusterPasswordFile { get; init; }
    /// <summary>PostgreSQL clustering: apply SimCluster's membership schema before joining (idempotent).</summary>
    public bool InitSchema { get; init; }
    /// <summary>PostgreSQL clustering: PGPASSWORD as <see cref="WithEnvironment"/> found it (used when neither the URL nor a file gives one).</summary>
    public ClusterPassword? EnvironmentPassword { get; init; }
    public int SiloPort { get; init; } = DefaultSiloPort;
    public int GatewayPort { get; init; } = DefaultGatewayPort;
    /// <summary>Dashboard, health and control API. 0 = no HTTP.</summary>
    public int HttpPort { get; init; } = DefaultHttpPort;
    /// <summary>HTTP bind address: loopback unless the operator says otherwise.</summary>
    public string HttpHost { get; init; } = "127.0.0.1";
    public string ClusterId { get; init; } = "simcluster";
    public string ServiceId { get; init; } = "simcluster";
    /// <summary>Address other silos use to reach this one (Kubernetes: POD_IP).</summary>
    public string AdvertisedAddress { get; init; } = "127.0.0.1";
    /// <summary>For localhost clustering: the primary silo's port (the first silo started).</summary>
    public int PrimarySiloPort { get; init; } = DefaultSiloPort;
    /// <summary>The silo's name in membership and on the dashboard (Kubernetes: POD_NAME); null = Orleans' default.</summary>
    public string? SiloName { get; init; }
    /// <summary>
    /// Microsoft.Orleans.Hosting.Kubernetes: labels this pod with orleans/serviceId and orleans/clusterId and
    /// declares silos dead when their pods are deleted. Only inside Kubernetes, and only when asked for.
    /// </summary>
    public bool KubernetesHosting { get; init; }
    /// <summary>
    /// Bearer token for everything on the HTTP port but /health/* (control API, dashboard, metrics); from
    /// SIMCLUSTER_API_TOKEN or --api-token-file. Required when the HTTP port binds to a non-loopback address.
    /// </summary>
    public ApiToken? Token { get; init; }
    /// <summary>
    /// Membership's initial probe timeout (Orleans' <c>ClusterMembershipOptions.ProbeTimeout</c>, 5 s in Orleans):
    /// a silo that misses <see cref="MissedProbes"/> probes in a row is suspected, and two suspicions declare it dead.
    /// With 1 s and 2, bench/membership.sh saw no false death for pauses up to 2.4 s (the longest tried) on a
    /// saturated 2-core machine, and probes alone took 6.6 s to declare a killed silo dead there (PeerPortWatch
    /// finds a killed silo sooner); see docs/cluster.md for the trade-off.
    /// </summary>
    public TimeSpan ProbeTimeout { get; init; } = DefaultProbeTimeout;
    /// <summary>Missed probes that make a silo suspected (Orleans' <c>NumMissedProbesLimit</c>, 3 in Orleans).</summary>
    public int MissedProbes { get; init; } = DefaultMissedProbes;
    public static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Declare a peer dead at once when its silo port refuses connections (<see cref="PeerPortWatch"/>): its
    /// process is gone. On by default; off leaves detection to membership's probes alone.
    /// </summary>
    public bool PeerWatch { get; init; } = true;
    public const int DefaultMissedProbes = 2;

    /// <summary>
    /// How long after a silo is declared dead its grains may not be activated elsewhere (Orleans 10's distributed
    /// directory holds a declared-dead silo's registrations and directory ranges as a lease, guarding against a
    /// silo declared dead that still runs). Orleans' default lease is 30 s from the estimated failure, which with
    /// 1 s probes and 2 missed left a killed silo's clients idle for 22 s after it was declared dead. Zero (the
    /// default) lets them run again at once: a silo declared dead stops itself as soon as it learns so, and a
    /// SIGKILLed one is gone for sure; a longer hold only matters for a silo frozen past its probes that wakes and
    /// runs its clients for a moment twice (docs/cluster.md).
    /// </summary>
    public TimeSpan DeadSiloHold { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Orleans' <c>GrainDirectoryOptions.RangeLeaseDuration</c> for <see cref="DeadSiloHold"/>: Orleans starts the
    /// lease at the estimated failure, the declaration minus its failure-detection window (the largest probe
    /// timeout, four times <see cref="ProbeTimeout"/>, times <see cref="MissedProbes"/>), and holds what is left of it.
    /// </summary>
    public TimeSpan DirectoryRangeLease => DeadSiloHold <= TimeSpan.Zero ? TimeSpan.Zero : DeadSiloHold + ProbeTimeout * 4 * MissedProbes;

    /// <summary>Where runs started through the control API keep their scenario and report.</summary>
    public string DataDirectory { get; init; } = Path.Combine("simcluster-reports", "api");

    /// <summary>
    /// These options with what the environment says: cluster and service ids, the advertised address
    /// (POD_IP), the silo name (POD_NAME), and Kubernetes hosting (inside a pod, when
    /// SIMCLUSTER_KUBERNETES_HOSTING=true). Unset or empty variables leave the options as they are.
    /// </summary>
    public SiloOptions WithEnvironment(Func<string, string?> variable)
    {
        string? Read(string name) => variable(name) is { Length: > 0 } value ? value.Trim() : null;
        return this with
        {
            EnvironmentPassword = EnvironmentPassword ?? (variable(PostgresClustering.PasswordVariable) is { Length: > 0 } password ? new ClusterPassword(password) : null),
            ClusterId = Read(ClusterIdVariable) ?? ClusterId,
            ServiceId = Read(ServiceIdVariable) ?? ServiceId,
            AdvertisedAddress = Read(PodIpVariable) ?? AdvertisedAddress,
            SiloName = Read(PodNameVariable) ?? SiloName,
            Token = Token ?? (Read(ApiToken.Variable) is { } token ? new ApiToken(token) : null),
            KubernetesHosting = Read(KubernetesServiceHostVariable) is not null
                                && string.Equals(Read(KubernetesHostingVariable), "true", StringComparison.OrdinalIgnoreCase),
        };
    }

    /// <summary>Every problem at once, each naming the option.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PostgresClustering.IsPostgres(Cluster))
        {
            try { _ = Postgres; }
            catch (ArgumentException e) { errors.Add(e.Message); }
        }
        else if (Cluster != "localhost" && !Cluster.StartsWith("redis://", StringComparison.Ordinal))
            errors.Add($"--cluster: '{SimCluster.Abstractions.Security.Secrets.Redact(Cluster)}' is not 'localhost', 'redis://HOST:PORT' or 'postgres://USER@HOST:PORT/DATABASE'");
        if (InitSchema && !PostgresClustering.IsPostgres(Cluster)) errors.Add("--init-schema: only for --cluster postgres://...");
        if (ClusterPasswordFile is not null && !PostgresClustering.IsPostgres(Cluster)) errors.Add("--cluster-password-file: only for --cluster postgres://...");
        if (Cluster.StartsWith("redis://", StringComparison.Ordinal) && !Uri.TryCreate(Cluster, UriKind.Absolute, out _))
            errors.Add($"--cluster: '{Cluster}' is not a valid redis:// address");
        foreach (var (name, port) in new[] { ("--silo-port", SiloPort), ("--gateway-port", GatewayPort) })
        {
            if (port is < 1 or > 65535) errors.Add($"{name}: {port} is not a port (1-65535)");
        }
        if (ProbeTimeout < TimeSpan.FromMilliseconds(100) || ProbeTimeout > TimeSpan.FromMinutes(1))
            errors.Add($"--probe-timeout: {ProbeTimeout.TotalMilliseconds:0} ms is outside 100ms..1m");
        if (MissedProbes is < 1 or > 10) errors.Add($"--missed-probes: {MissedProbes} is outside 1..10");
        if (DeadSiloHold < TimeSpan.Zero || DeadSiloHold > TimeSpan.FromMinutes(5))
            errors.Add($"--dead-silo-hold: {DeadSiloHold.TotalMilliseconds:0} ms is outside 0s..5m");
        if (HttpPort is < 0 or > 65535) errors.Add($"--http-port: {HttpPort} is not a port (0-65535)");
        if (SiloPort == GatewayPort) errors.Add($"--gateway-port: {GatewayPort} is also the silo port");
        if (HttpPort != 0 && (HttpPort == SiloPort || HttpPort == GatewayPort)) errors.Add($"--http-port: {HttpPort} is already the silo or gateway port");
        if (!IPAddress.TryParse(AdvertisedAddress, out _)) errors.Add($"advertised address '{AdvertisedAddress}' (POD_IP) is not an IP address");
        if (HttpPort != 0 && HttpAddress is null) errors.Add($"--http-host: '{HttpHost}' is not an IP address (0.0.0.0 = every interface)");
        else if (UnprotectedExposure() is { } exposure) errors.Add(exposure);
        if (Token is { Length: < ApiToken.MinLength })
            errors.Add($"the API token ({ApiToken.Variable} or --api-token-file) is shorter than {ApiToken.MinLength} characters; use e.g. `openssl rand -hex 24`");
        return errors;
    }

    /// <summary>
    /// <see cref="HttpHost"/> as an address; an IPv4 address written IPv6-mapped (<c>::ffff:127.0.0.1</c>) is that
    /// IPv4 address (binding the mapped form needs a dual-mode socket, and loopback checks must see through it).
    /// </summary>
    public IPAddress? HttpAddress =>
        IPAddress.TryParse(HttpHost, out var address) ? address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address : null;

    /// <summary>
    /// The refusal to open the control API and dashboard to the network without a token, or null. A run could not
    /// be carried out safely rather than a malformed argument: `simcluster silo` exits 105 when this is the only problem.
    /// </summary>
    public string? UnprotectedExposure() =>
        HttpPort != 0 && Token is null && HttpAddress is { } address && !IPAddress.IsLoopback(address)
            ? $"--http-host: {HttpHost} is not loopback, so the control API and dashboard would be open to the network: " +
              $"set a token in {ApiToken.Variable} or --api-token-file (at least {ApiToken.MinLength} characters), or bind to 127.0.0.1"
            : null;

    /// <summary>The PostgreSQL clustering settings of a <c>postgres://</c> cluster (throws ArgumentException naming --cluster when malformed).</summary>
    public PostgresClustering Postgres => PostgresClustering.Parse(Cluster, ClusterPasswordFile,
        name => name == PostgresClustering.PasswordVariable ? EnvironmentPassword?.Reveal() : null);

    /// <summary>The cluster as it may be shown: a URL's password masked.</summary>
    public string ClusterDisplay => SimCluster.Abstractions.Security.Secrets.Redact(Cluster);

    /// <summary>The Redis configuration string for StackExchange.Redis (<c>host:port</c>).</summary>
    public string RedisConfiguration => new Uri(Cluster).Authority;
}

/// <summary>A membership store's password (PGPASSWORD): kept out of ToString, so a printed SiloOptions never shows it.</summary>
public sealed class ClusterPassword(string value)
{
    public string Reveal() => value;

    public override string ToString() => "***";
}

/// <summary>
/// The bearer token the silo's HTTP port (control API, dashboard, metrics) requires. Kept out of
/// ToString and logs; compared in constant time.
/// </summary>
public sealed class ApiToken
{
    /// <summary>Where `simcluster silo` and `simcluster run --api` read the token when no file is named.</summary>
    public const string Variable = "SIMCLUSTER_API_TOKEN";
    public const int MinLength = 16;

    private readonly byte[] _value;

    public ApiToken(string value) => _value = System.Text.Encoding.UTF8.GetBytes(value.Trim());

    public int Length => _value.Length;

    /// <summary>The token in a file (first line); a clear error when the file cannot be read.</summary>
    public static ApiToken FromFile(string path)
    {
        try { return new ApiToken(File.ReadLines(path).FirstOrDefault() ?? ""); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--api-token-file: cannot read '{path}': {e.Message}", e);
        }
    }

    public bool Matches(string? candidate) =>
        candidate is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(_value, System.Text.Encoding.UTF8.GetBytes(candidate));

    /// <summary>The token itself, for the one place that must send it (an HTTP Authorization header).</summary>
    public string Reveal() => System.Text.Encoding.UTF8.GetString(_value);

    public override string ToString() => "***";
}
