using System.Net;
using System.Net.Sockets;

namespace SimCluster.Grains.Clients;

/// <summary>
/// Picks each client's source address. About 28,000 ephemeral ports exist per (source, destination) pair,
/// and every address in 127.0.0.0/8 is loopback, so clients of a loopback target are spread over a range
/// of source addresses. Deterministic: client N always gets the same address. On a cluster each silo takes
/// its own contiguous slice of every range (<see cref="Slice"/>), so the silo a connection came from can be
/// told by its source address, and silos never share a (source, destination) pair's ports.
/// </summary>
public sealed class SourceAddressPool
{
    /// <summary>Used for loopback targets when the scenario names no ranges.</summary>
    public const string DefaultLoopbackRange = "127.1.0.0/16";

    private readonly (uint First, uint Count)[] _ranges;

    public SourceAddressPool(IEnumerable<string> cidrs)
    {
        _ranges = [.. cidrs.Select(ParseRange)];
    }

    private SourceAddressPool((uint First, uint Count)[] ranges) => _ranges = ranges;

    public bool IsEmpty => _ranges.Length == 0;

    /// <summary>How many distinct addresses the pool hands out.</summary>
    public long Count => _ranges.Sum(r => (long)r.Count);

    /// <summary>
    /// Slice <paramref name="index"/> of <paramref name="count"/> (silo k of n): the k-th contiguous part of
    /// every range, parts differing in size by at most one address. Slices of one pool never overlap unless
    /// a range has fewer addresses than there are slices (then slice k gets its range's address k mod size).
    /// </summary>
    public SourceAddressPool Slice(int index, int count)
    {
        if (count < 1 || index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), $"slice {index} of {count}");
        if (count == 1) return this;
        return new SourceAddressPool([.. _ranges.Select(r =>
        {
            var start = (uint)((ulong)r.Count * (uint)index / (uint)count);
            var end = (uint)((ulong)r.Count * (uint)(index + 1) / (uint)count);
            return end > start ? (r.First + start, end - start) : (r.First + (uint)index % r.Count, 1u);
        })]);
    }

    /// <summary>The pool's ranges as "first-last" (a single address alone), comma-separated; empty when the OS chooses.</summary>
    public string Describe() => string.Join(", ", _ranges.Select(r => r.Count == 1 ? Format(r.First) : $"{Format(r.First)}-{Format(r.First + r.Count - 1)}"));

    /// <summary>Whether <paramref name="address"/> is one the pool hands out.</summary>
    public bool Contains(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork) return false;
        var b = address.GetAddressBytes();
        var value = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        return _ranges.Any(r => value >= r.First && value - r.First < r.Count);
    }

    /// <summary>The pool for a target: the given ranges, or the default range when the target is IPv4 loopback.</summary>
    public static SourceAddressPool For(Uri target, IReadOnlyCollection<string> configured)
    {
        if (configured.Count > 0) return new SourceAddressPool(configured);
        var host = target.DnsSafeHost;
        var loopbackV4 = host == "localhost" || (IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork && IPAddress.IsLoopback(ip));
        return new SourceAddressPool(loopbackV4 ? [DefaultLoopbackRange] : []);
    }

    public IPAddress? AddressFor(int clientIndex)
    {
        if (_ranges.Length == 0) return null;
        var (first, count) = _ranges[clientIndex % _ranges.Length];
        var offset = (uint)(clientIndex / _ranges.Length) % count;
        return Address(first + offset);
    }

    private static IPAddress Address(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    private static string Format(uint value) => Address(value).ToString();

    /// <summary>Usable host addresses of a CIDR range (network and broadcast addresses excluded for /24 and wider).</summary>
    private static (uint First, uint Count) ParseRange(string cidr)
    {
        var parts = cidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(parts[1], out var prefix) || prefix is < 8 or > 32)
            throw new ArgumentException($"'{cidr}' is not an IPv4 CIDR range like 127.0.1.0/24");
        var bytes = address.GetAddressBytes();
        var value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        var mask = prefix == 32 ? uint.MaxValue : ~(uint.MaxValue >> prefix);
        var network = value & mask;
        var size = prefix == 32 ? 1u : 1u << (32 - prefix);
        return size >= 256 ? (network + 1, size - 2) : (network, size);
    }
}
