using System.Net.Sockets;
using SimCluster.Tests.Support;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

/// <summary>
/// A zero-byte read on an unshaped <see cref="FaultStream"/> (the lean driver's idle wait): it waits for the socket,
/// consumes nothing, and never reports the end itself; the read after it does.
/// </summary>
public sealed class FaultStreamZeroByteReadTests
{
    private static FaultStream Wrap(SocketPair pair) => new(pair.Client, [], [], TimeProvider.System);

    [Fact]
    public async Task A_zero_byte_read_waits_for_bytes_and_leaves_them_all_to_the_next_read()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair);

        var wait = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        Assert.False(wait.IsCompleted, "nothing has arrived yet: a zero-byte read taken for the peer's end returns at once");

        await pair.Server.SendAsync("twelve bytes"u8.ToArray(), SocketFlags.None);
        Assert.Equal(0, await Eventually.Within(wait, "the zero-byte read to complete"));
        Assert.Equal(0, stream.BytesRead);
        Assert.False(stream.PeerGone.IsCompleted, "bytes waiting are not the end");

        Assert.Equal("twelve bytes"u8.ToArray(), await SocketPair.ReadExactlyAsync(stream, 12));
        Assert.Equal(12, stream.BytesRead);
    }

    [Fact]
    public async Task At_the_peers_close_a_zero_byte_read_returns_and_the_next_read_reports_the_end()
    {
        using var pair = await SocketPair.ConnectAsync();
        await using var stream = Wrap(pair);

        var wait = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        pair.Server.Shutdown(SocketShutdown.Send);

        Assert.Equal(0, await Eventually.Within(wait, "the zero-byte read to complete at the end"));
        Assert.False(stream.PeerGone.IsCompleted, "the zero-byte read does not decide that the peer is gone");
        Assert.Equal(0, await stream.ReadAsync(new byte[16]));
        await Eventually.Within(stream.PeerGone, "PeerGone once a real read saw the end");
    }
}
