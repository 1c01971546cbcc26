using SimCluster.Transport;

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
