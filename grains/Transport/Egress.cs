using System.Net;
using System.Net.Sockets;

namespace SimCluster.Transport;

/// <summary>
/// Which addresses a connection may reach. Names are checked against the allow-list before a run starts
/// (a target off loopback must be allow-listed); this rule is checked again on the address each connection
/// is actually made to, after resolution, so a name cannot lead somewhere nobody named: a host written as
/// loopback (<c>localhost</c>, <c>*.localhost</c>, <c>127.0.0.0/8</c>, <c>::1</c>) may only reach a loopback
/// address, whatever the hosts file or DNS say; any other host only when it (or the address) is listed.
/// </summary>
public sealed record EgressRule
{
    private EgressRule(IReadOnlySet<string> hosts) => Hosts = hosts;

    /// <summary>Host names and addresses allowed off loopback (compared without case).</summary>
    public IReadOnlySet<string> Hosts { get; }

    /// <summary>Loopback only (token endpoints, which must be on loopback).</summary>
    public static EgressRule LoopbackOnly { get; } = new(new HashSet<string>());

    public static EgressRule Allowing(IEnumerable<string> hosts) =>
        new(new HashSet<string>(hosts.Select(Normalise), StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// The rule for a target that passed the run's allow-list check (every target of a plan did): its own
    /// host, unless it is written as loopback, when only loopback addresses will do.
    /// </summary>
    public static EgressRule For(Uri target) => IsLoopbackName(target.DnsSafeHost) ? LoopbackOnly : Allowing([target.DnsSafeHost]);

    public bool Allows(string host, IPAddress address)
    {
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (IPAddress.IsLoopback(a)) return true;
        if (IsLoopbackName(host)) return false; // named as loopback, resolved elsewhere: never
        return Hosts.Contains(Normalise(host)) || Hosts.Contains(a.ToString());
    }

    /// <summary>Written as loopback: <c>localhost</c> (and its subdomains) or a loopback address literal.</summary>
    public static bool IsLoopbackName(string host)
    {
        var h = Normalise(host);
        if (h.Equals("localhost", StringComparison.OrdinalIgnoreCase) || h.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);
    }

    private static string Normalise(string host) => host.Trim('[', ']').TrimEnd('.');
}

/// <summary>A connection refused by the <see cref="EgressRule"/>; the message names the host and the address.</summary>
public sealed class EgressRefusedException(string message) : IOException(message);

/// <summary>
/// Every connection the tool opens goes through here: WebSocket clients, attack connections, the target's
/// <c>/stats</c> probe, token requests and the control API client. Resolve, keep the addresses the rule allows,
/// connect to one of them, and check the peer address once more after the connect.
/// </summary>
public static class Egress
{
    public static async Task ConnectAsync(Socket socket, string host, int port, EgressRule rule, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        var usable = addresses.Where(a => socket.AddressFamily == AddressFamily.InterNetworkV6 && socket.DualMode || a.AddressFamily == socket.AddressFamily).ToArray();
        var allowed = usable.Where(a => rule.Allows(host, a)).ToArray();
        if (allowed.Length == 0)
        {
            if (usable.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
            throw new EgressRefusedException(
                $"refused to connect to {host}: it resolves to {string.Join(", ", usable.Take(4))}, which is not loopback and not on the allow-list" +
                (EgressRule.IsLoopbackName(host) ? " (a host written as loopback may only reach loopback)" : ""));
        }
        await socket.ConnectAsync(allowed, port, ct).ConfigureAwait(false);
        if (socket.RemoteEndPoint is IPEndPoint peer && !rule.Allows(host, peer.Address))
            throw new EgressRefusedException($"refused: the connection to {host} reached {peer.Address}, which is not allowed");
    }

    /// <summary>
    /// For every HTTP request the tool makes: connections through <see cref="ConnectAsync"/>, no proxy (it would
    /// decide where the bytes go), and no redirects followed (a 3xx is the answer; callers report it).
    /// </summary>
    public static SocketsHttpHandler HttpHandler(EgressRule rule, TimeSpan connectTimeout) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await ConnectAsync(socket, context.DnsEndPoint.Host, context.DnsEndPoint.Port, rule, ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>The refusal inside an exception chain (an HTTP client wraps it), if that is what failed.</summary>
    public static EgressRefusedException? Refusal(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is EgressRefusedException refused) return refused;
        return null;
    }
}
