using System.Net.WebSockets;
using System.Text;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

[Trait("Category", "Unit")]
public sealed class ClientFramesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(125)]   // the largest 7-bit length
    [InlineData(126)]   // the first 16-bit length
    [InlineData(65_535)]
    [InlineData(65_536)] // the first 64-bit length
    [InlineData(200_003)] // not a multiple of 8: the byte-wise tail of the mask
    public async Task A_server_WebSocket_reads_back_exactly_the_text_that_was_framed(int length)
    {
        var text = string.Create(length, 0, static (span, _) => { for (var i = 0; i < span.Length; i++) span[i] = (char)('a' + i % 26); });
        var stream = new MemoryStream();
        for (var copy = 0; copy < 2; copy++) stream.Write(Frame(text, ClientFrames.Text));
        stream.Position = 0;

        using var server = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
        for (var copy = 0; copy < 2; copy++)
        {
            var received = new MemoryStream();
            var buffer = new byte[8192];
            ValueWebSocketReceiveResult result;
            do
            {
                result = await server.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                received.Write(buffer, 0, result.Count);
            } while (!result.EndOfMessage);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            Assert.Equal(text, Encoding.UTF8.GetString(received.ToArray()));
        }
    }

    [Fact]
    public void Every_frame_is_masked_with_a_fresh_key()
    {
        var keys = new HashSet<uint>();
        for (var i = 0; i < 2_000; i++)
        {
            var frame = Frame("same text every time", ClientFrames.Text);
            Assert.Equal(0x81, frame[0]);             // FIN + text
            Assert.Equal(0x80 | 20, frame[1]);        // masked, 20 bytes
            keys.Add(BitConverter.ToUInt32(frame, 2));
            Assert.NotEqual("same text every time"u8.ToArray(), frame[6..]);
        }
        Assert.True(keys.Count > 1_990, $"{keys.Count} distinct keys in 2,000 frames"); // 32-bit keys: a few repeats at most
    }

    private static byte[] Frame(string text, byte opcode)
    {
        var buffer = new byte[ClientFrames.MaxHeaderLength + Encoding.UTF8.GetByteCount(text)];
        var length = Encoding.UTF8.GetBytes(text, buffer.AsSpan(ClientFrames.MaxHeaderLength));
        var start = ClientFrames.MaskInPlace(buffer, length, opcode);
        return buffer[start..];
    }
}
