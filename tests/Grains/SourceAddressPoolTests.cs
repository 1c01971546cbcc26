using System.Net;
using SimCluster.Grains.Clients;

namespace SimCluster.Tests.Grains;

[Trait("Category", "Unit")]
public sealed class SourceAddressPoolTests
{
    private static IPAddress Ip(string text) => IPAddress.Parse(text);

    [Theory]
    [InlineData("ws://127.0.0.1:5080/ws")]
    [InlineData("ws://127.9.9.9/ws")]
    [InlineData("ws://localhost:5080/ws")]
    public void Loopback_targets_spread_clients_over_the_default_range(string target)
    {
        var pool = SourceAddressPool.For(new Uri(target), []);

        Assert.False(pool.IsEmpty);
        Assert.Equal(Ip("127.1.0.1"), pool.AddressFor(0)); // the network address is skipped
        Assert.Equal(Ip("127.1.0.2"), pool.AddressFor(1));
        Assert.Equal(Ip("127.1.1.0"), pool.AddressFor(255));
        Assert.Equal(Ip("127.1.255.254"), pool.AddressFor(65_533)); // the last host; broadcast skipped
        Assert.Equal(Ip("127.1.0.1"), pool.AddressFor(65_534)); // and around again
    }

    [Theory]
    [InlineData("ws://10.0.0.5/ws")]
    [InlineData("wss://example.com/ws")]
    [InlineData("ws://[::1]:5080/ws")]
    public void Other_targets_let_the_os_choose(string target)
    {
        var pool = SourceAddressPool.For(new Uri(target), []);
        Assert.True(pool.IsEmpty);
        Assert.Null(pool.AddressFor(0));
        Assert.Null(pool.AddressFor(12_345));
    }

    [Fact]
    public void Configured_ranges_win_and_clients_alternate_between_them()
    {
        var pool = SourceAddressPool.For(new Uri("ws://10.0.0.5/ws"), ["127.0.1.0/24", "127.0.2.0/30"]);

        Assert.Equal(Ip("127.0.1.1"), pool.AddressFor(0));
        Assert.Equal(Ip("127.0.2.0"), pool.AddressFor(1)); // narrower than /24: every address is used
        Assert.Equal(Ip("127.0.1.2"), pool.AddressFor(2));
        Assert.Equal(Ip("127.0.2.1"), pool.AddressFor(3));
        Assert.Equal(Ip("127.0.2.3"), pool.AddressFor(7));
        Assert.Equal(Ip("127.0.2.0"), pool.AddressFor(9)); // the /30 wrapped
        Assert.Equal(Ip("127.0.1.254"), pool.AddressFor(2 * 253));
        Assert.Equal(Ip("127.0.1.1"), pool.AddressFor(2 * 254));
    }

    [Fact]
    public void A_host_address_inside_a_range_means_that_range()
    {
        var pool = new SourceAddressPool(["127.0.1.77/24"]);
        Assert.Equal(Ip("127.0.1.1"), pool.AddressFor(0));
    }

    [Fact]
    public void A_slash_32_is_a_single_address()
    {
        var pool = new SourceAddressPool(["127.5.6.7/32"]);
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(Ip("127.5.6.7"), pool.AddressFor(i)));
    }

    [Fact]
    public void The_same_client_always_gets_the_same_address()
    {
        var a = SourceAddressPool.For(new Uri("ws://127.0.0.1/ws"), []);
        var b = SourceAddressPool.For(new Uri("ws://127.0.0.1/ws"), []);
        Assert.All(Enumerable.Range(0, 2000), i => Assert.Equal(a.AddressFor(i), b.AddressFor(i)));
        Assert.Equal(2000, Enumerable.Range(0, 2000).Select(i => a.AddressFor(i)).Distinct().Count());
    }

    [Fact]
    public void Silos_take_contiguous_disjoint_slices_of_the_default_range()
    {
        var pool = SourceAddressPool.For(new Uri("ws://127.0.0.1/ws"), []);
        var slices = Enumerable.Range(0, 3).Select(k => pool.Slice(k, 3)).ToArray();

        Assert.Equal(["127.1.0.1-127.1.85.84", "127.1.85.85-127.1.170.169", "127.1.170.170-127.1.255.254"], slices.Select(s => s.Describe()));
        Assert.Equal(pool.Count, slices.Sum(s => s.Count)); // 65,534 addresses, none lost, none shared
        Assert.Equal([21_844, 21_845, 21_845], slices.Select(s => s.Count));
        // Each silo's clients (places 0, 1, ...) stay inside its slice and apart from each other.
        for (var k = 0; k < 3; k++)
        {
            var addresses = Enumerable.Range(0, 5_000).Select(p => slices[k].AddressFor(p)!).ToList();
            Assert.Equal(5_000, addresses.Distinct().Count());
            Assert.All(addresses, a => Assert.True(slices[k].Contains(a) && slices.Where((_, j) => j != k).All(o => !o.Contains(a)), $"{a} in slice {k}"));
        }
        Assert.Equal(Ip("127.1.85.85"), slices[1].AddressFor(0));
        Assert.Equal(Ip("127.1.85.85"), slices[1].AddressFor(21_845)); // wraps inside its own slice
    }

    [Fact]
    public void One_slice_is_the_whole_pool_and_every_range_is_sliced()
    {
        var pool = new SourceAddressPool(["127.0.1.0/24", "127.0.2.0/30"]);
        Assert.Same(pool, pool.Slice(0, 1));
        var second = pool.Slice(1, 2);
        Assert.Equal("127.0.1.128-127.0.1.254, 127.0.2.2-127.0.2.3", second.Describe());
        Assert.Equal(Ip("127.0.1.128"), second.AddressFor(0)); // clients still alternate between the ranges
        Assert.Equal(Ip("127.0.2.2"), second.AddressFor(1));
    }

    [Fact]
    public void More_silos_than_addresses_share_rather_than_fail()
    {
        var pool = new SourceAddressPool(["127.5.6.0/31"]);
        Assert.Equal(["127.5.6.0", "127.5.6.0", "127.5.6.1"], Enumerable.Range(0, 3).Select(k => pool.Slice(k, 3).Describe()));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Slice(3, 3));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.0/7")]
    [InlineData("127.0.0.0/33")]
    [InlineData("127.0.0.0/x")]
    [InlineData("localhost/24")]
    [InlineData("::1/128")]
    [InlineData("127.0.0.0/24/1")]
    [InlineData("")]
    public void Malformed_ranges_are_refused(string cidr)
    {
        var error = Assert.Throws<ArgumentException>(() => new SourceAddressPool([cidr]));
        Assert.Contains("CIDR", error.Message);
    }
}
