using SimCluster.Transport;
using Microsoft.Extensions.Time.Testing;

namespace SimCluster.Tests.Transport;

[Trait("Category", "Unit")]
public sealed class FrameScannerTests
{
    private static (List<int?> Closes, List<(ulong, int)> Pongs, FrameScanner Scanner) Watch()
    {
        var closes = new List<int?>();
        var pongs = new List<(ulong, int)>();
        var scanner = new FrameScanner();
        scanner.CloseSeen += closes.Add;
        scanner.PongSeen += (p, n) => pongs.Add((p, n));
        return (closes, pongs, scanner);
    }

    [Fact]
    public void Reports_a_close_frame_with_its_code_after_data_frames()
    {
        var (closes, pongs, scanner) = Watch();
        byte[] text = [0x81, 0x03, (byte)'a', (byte)'b', (byte)'c'];
        byte[] close = [0x88, 0x04, 0x03, 0xE9, (byte)'o', (byte)'k']; // 1001 "ok"
        scanner.Feed([.. text, .. close]);
        Assert.Equal([1001], closes);
        Assert.Empty(pongs);
    }

    [Fact]
    public void Reports_a_close_without_payload_as_no_code_and_survives_bytes_fed_one_at_a_time()
    {
        var (closes, _, scanner) = Watch();
        byte[] bytes = [0x82, 0x7E, 0x01, 0x00, .. new byte[256], 0x88, 0x00];
        foreach (var b in bytes) scanner.Feed([b]);
        Assert.Equal([(int?)null], closes);
    }

    [Fact]
    public void Reports_pong_payloads_and_skips_masked_frames_and_64_bit_lengths()
    {
        var (closes, pongs, scanner) = Watch();
        byte[] pong = [0x8A, 0x08, 0, 0, 0, 0, 0, 0, 0x12, 0x34];
        byte[] masked = [0x81, 0x82, 1, 2, 3, 4, 9, 9];
        byte[] big = [0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 2, 7, 7];
        scanner.Feed([.. masked, .. big, .. pong]);
        Assert.Equal([(0x1234UL, 8)], pongs);
        Assert.Empty(closes);
    }
}

[Trait("Category", "Unit")]
public sealed class FrameScannerFragmentTimeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);
    private static readonly byte[] FirstFragment = [0x01, 0x02, (byte)'a', (byte)'b']; // text, no FIN
    private static readonly byte[] MiddleFragment = [0x00, 0x01, (byte)'c'];            // continuation, no FIN
    private static readonly byte[] LastFragment = [0x80, 0x01, (byte)'d'];              // continuation, FIN
    private static readonly byte[] Ping = [0x89, 0x00];
    private static readonly byte[] Pong = [0x8A, 0x00];

    private static (FakeTimeProvider Time, FrameScanner Scanner, Func<int> Ends) Scanner()
    {
        var time = new FakeTimeProvider();
        var scanner = new FrameScanner();
        var ends = 0;
        scanner.LimitFragmentTime(time, Limit, () => ends++);
        return (time, scanner, () => ends);
    }

    [Fact]
    public void A_fragmented_message_unfinished_past_the_limit_ends_the_connection_once_and_is_classified()
    {
        var (time, scanner, ends) = Scanner();
        Assert.True(scanner.Feed([.. FirstFragment, .. MiddleFragment]));
        time.Advance(Limit - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, ends());
        Assert.False(scanner.FragmentStalled);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, ends());
        Assert.True(scanner.FragmentStalled);
        time.Advance(Limit * 3);
        Assert.Equal(1, ends());
        // The reset makes the read fail with a socket error: the cause is still the stall.
        var reset = new IOException("reset", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset));
        Assert.Equal(DisconnectCause.StalledFragment, DisconnectCause.Classify(reset, scanner));
    }

    [Fact]
    public void A_fragmented_message_finished_in_time_is_untouched_and_the_next_one_gets_its_own_clock()
    {
        var (time, scanner, ends) = Scanner();
        scanner.Feed([.. FirstFragment, .. MiddleFragment]);
        time.Advance(Limit - TimeSpan.FromSeconds(1));
        scanner.Feed(LastFragment);
        time.Advance(Limit * 2);
        Assert.Equal(0, ends());
        Assert.False(scanner.FragmentStalled);

        // Unfragmented messages never start the clock; a second fragmented message is timed from its own start.
        scanner.Feed([0x81, 0x01, (byte)'x']);
        time.Advance(Limit * 2);
        Assert.Equal(0, ends());
        scanner.Feed(FirstFragment);
        time.Advance(Limit);
        Assert.Equal(1, ends());
    }

    [Fact]
    public void Control_frames_between_the_fragments_neither_finish_nor_restart_the_clock()
    {
        var (time, scanner, ends) = Scanner();
        scanner.Feed(FirstFragment);
        time.Advance(Limit - TimeSpan.FromSeconds(1));
        // A PING and a PONG, even with FIN set (control frames always are), are not the message's last fragment.
        scanner.Feed([.. Ping, .. Pong, .. MiddleFragment]);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, ends());
    }

    [Fact]
    public void Bytes_fed_one_at_a_time_keep_the_clock_from_the_first_frame_header()
    {
        var (time, scanner, ends) = Scanner();
        foreach (var b in FirstFragment)
        {
            scanner.Feed([b]);
            time.Advance(TimeSpan.FromSeconds(1)); // the header is complete after the second byte, at 1 s
        }
        // First-frame header complete at 1 s: the limit passes at 6 s, now is 4 s.
        Assert.Equal(0, ends());
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, ends());
    }
}
