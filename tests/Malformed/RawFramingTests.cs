using System.Buffers.Binary;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Malformed;

/// <summary>The raw frame writer produces exactly the bytes asked for, and the reader parses whatever a server sends, within fixed bounds.</summary>
[Trait("Category", "Unit")]
public sealed class RawFramingTests
{
    private static readonly byte[] Key = [0x11, 0x22, 0x33, 0x44];

    [Fact]
    public void A_masked_text_frame_is_laid_out_as_RFC_6455_5_2_says()
    {
        var bytes = (FrameSpec.Text("Hi") with { MaskKey = Key }).ToBytes();
        Assert.Equal([0x81, 0x82, 0x11, 0x22, 0x33, 0x44, (byte)('H' ^ 0x11), (byte)('i' ^ 0x22)], bytes);
    }

    [Fact]
    public void Any_field_can_be_wrong_on_purpose()
    {
        var frame = new FrameSpec { Opcode = 0xB, Fin = false, Rsv = 7, Masked = false, Payload = new byte[] { 1, 2, 3 } }.ToBytes();
        Assert.Equal([0x7B, 0x03, 1, 2, 3], frame);

        var nonMinimal = (FrameSpec.Text(new string('n', 124)) with { Encoding = LengthEncoding.Extended16, MaskKey = Key }).ToBytes();
        Assert.Equal(0xFE, nonMinimal[1]); // mask bit + 126
        Assert.Equal(124, BinaryPrimitives.ReadUInt16BigEndian(nonMinimal.AsSpan(2)));
        Assert.Equal(2 + 2 + 4 + 124, nonMinimal.Length);

        var huge = (FrameSpec.Binary(new byte[16]) with { Encoding = LengthEncoding.Extended64, DeclaredLength = 1UL << 40 }).ToBytes();
        Assert.Equal(0xFF, huge[1]);
        Assert.Equal(1UL << 40, BinaryPrimitives.ReadUInt64BigEndian(huge.AsSpan(2)));
        Assert.Equal(2 + 8 + 4 + 16, huge.Length); // the announced terabyte is never built

        var msb = (FrameSpec.Text("Hello") with { Encoding = LengthEncoding.Extended64, DeclaredLength = 0x8000_0000_0000_0005 }).ToBytes();
        Assert.Equal(0x80, msb[2]);
    }

    [Fact]
    public void Close_frames_carry_any_code_and_payload()
    {
        Assert.Equal([0x88, 0x02, 0x03, 0xE8], (FrameSpec.Close(1000) with { Masked = false }).ToBytes());
        Assert.Equal([0x88, 0x01, 0x03], (FrameSpec.CloseRaw([0x03]) with { Masked = false }).ToBytes());
        Assert.Equal(126, FrameSpec.Close(1000, new string('r', 124)).Payload.Length);
        Assert.Equal([0x88, 0x02, 0x00, 0x00], (FrameSpec.Close(0) with { Masked = false }).ToBytes());
    }

    [Fact]
    public async Task Dribbling_writes_one_byte_at_a_time()
    {
        var sink = new CountingStream();
        var writer = new RawFrameWriter(sink, TimeProvider.System);
        await writer.DribbleAsync(new byte[] { 1, 2, 3, 4, 5 }, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(5, sink.Writes);
        Assert.Equal(5, writer.BytesWritten);
    }

    [Fact]
    public void The_reader_assembles_fragments_and_sees_control_frames_between_them()
    {
        var reader = Reader();
        reader.Feed(Unmasked(FrameSpec.Text("Hello, ", fin: false)));
        reader.Feed(Unmasked(FrameSpec.Ping("probe:1")));
        reader.Feed(Unmasked(FrameSpec.Continuation("world"u8.ToArray(), fin: true)));
        var events = reader.Events;
        Assert.Equal([ServerEventKind.Ping, ServerEventKind.Message], events.Select(e => e.Kind));
        var message = events[1];
        Assert.Equal(12, message.Length);
        Assert.Equal(2, message.Frames);
        Assert.Equal(Fnv64.Of("Hello, world"u8), message.Hash);
        Assert.Null(message.Anomaly);
    }

    [Fact]
    public void The_reader_parses_close_codes_and_flags_what_a_server_must_not_send()
    {
        var reader = Reader();
        reader.Feed(FrameSpec.Text("masked").ToBytes()); // servers must not mask
        reader.Feed(Unmasked(FrameSpec.Text("rsv") with { Rsv = 4 }));
        reader.Feed(Unmasked(new FrameSpec { Opcode = 0x3, Payload = new byte[1] }));
        reader.Feed(Unmasked(FrameSpec.CloseRaw([0x03])));
        reader.Feed(Unmasked(FrameSpec.Close(1002, "bad")));
        var events = reader.Events;
        Assert.Contains("masked", events[0].Anomaly);
        Assert.Contains("RSV", events[1].Anomaly);
        Assert.Contains("reserved opcode 0x3", events[2].Anomaly);
        Assert.Null(events[3].CloseCode);
        Assert.Contains("1-byte", events[3].Anomaly);
        Assert.Equal(1002, events[4].CloseCode);
        Assert.Equal("bad", events[4].CloseReason);
    }

    [Fact]
    public void A_header_announcing_2_pow_63_bytes_costs_nothing_and_byte_by_byte_input_parses_the_same()
    {
        var reader = Reader();
        var header = Unmasked(FrameSpec.Binary([]) with { Encoding = LengthEncoding.Extended64, DeclaredLength = ulong.MaxValue });
        foreach (var b in header) reader.Feed([b]);
        reader.Feed(new byte[64 * 1024]); // swallowed as payload of the endless frame, never buffered
        Assert.Empty(reader.Events);
        Assert.Equal(0, reader.MessagesSeen);
    }

    [Fact]
    public void A_flood_of_frames_is_counted_but_the_log_stays_bounded()
    {
        var reader = Reader();
        var message = Unmasked(FrameSpec.Text("x"));
        var pong = Unmasked(new FrameSpec { Opcode = Opcode.Pong, Payload = new byte[] { 1 } });
        for (var i = 0; i < 100_000; i++)
        {
            reader.Feed(message);
            reader.Feed(pong);
        }
        reader.Feed(Unmasked(new FrameSpec { Opcode = Opcode.Pong, Payload = "probe:42"u8.ToArray() }));
        reader.Feed(Unmasked(FrameSpec.Close(1000)));
        Assert.Equal(100_000, reader.MessagesSeen);
        var events = reader.Events;
        Assert.InRange(events.Count, 1, 256 + 1024 + 2);
        Assert.Contains(events, e => e.Kind == ServerEventKind.Pong && e.Head.AsSpan().SequenceEqual("probe:42"u8)); // probes are always kept
        Assert.Equal(ServerEventKind.Close, events[^1].Kind);
    }

    private static ServerFrameReader Reader() => new(Stream.Null, ReadOnlyMemory<byte>.Empty, TimeProvider.System);

    private static byte[] Unmasked(FrameSpec frame) => (frame with { Masked = false }).ToBytes();

    private sealed class CountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}
