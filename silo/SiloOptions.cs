using System.Net;

namespace SimCluster.Silo;

/// <summary>How one silo joins its cluster and where it listens.</summary>
public sealed record SiloOptions
{
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;
    public const int DefaultHttpPort = 8080;

    /// <summary><c>localhost</c> (development clustering on this machine) or <c>redis://HOST:PORT</c>.</summary>
    public string Cluster { get; init; } = "localhost";
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

    /// <summary>Every problem at once, each naming the option.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Cluster != "localhost" && !Cluster.StartsWith("redis://", StringComparison.Ordinal))
            errors.Add($"--cluster: '{Cluster}' is not 'localhost' or 'redis://HOST:PORT'");
        if (Cluster.StartsWith("redis://", StringComparison.Ordinal) && !Uri.TryCreate(Cluster, UriKind.Absolute, out _))
            errors.Add($"--cluster: '{Cluster}' is not a valid redis:// address");
        foreach (var (name, port) in new[] { ("--silo-port", SiloPort), ("--gateway-port", GatewayPort) })
        {
            if (port is < 1 or > 65535) errors.Add($"{name}: {port} is not a port (1-65535)");
        }
        if (HttpPort is < 0 or > 65535) errors.Add($"--http-port: {HttpPort} is not a port (0-65535)");
        if (SiloPort == GatewayPort) errors.Add($"--gateway-port: {GatewayPort} is also the silo port");
        if (HttpPort != 0 && (HttpPort == SiloPort || HttpPort == GatewayPort)) errors.Add($"--http-port: {HttpPort} is already the silo or gateway port");
        if (!IPAddress.TryParse(AdvertisedAddress, out _)) errors.Add($"advertised address '{AdvertisedAddress}' is not an IP address");
        return errors;
    }

    /// <summary>The Redis configuration string for StackExchange.Redis (<c>host:port</c>).</summary>
    public string RedisConfiguration => new Uri(Cluster).Authority;
}
