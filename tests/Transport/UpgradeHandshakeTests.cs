using System.Text;
using System.Text.RegularExpressions;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

[Trait("Category", "Unit")]
public sealed partial class UpgradeHandshakeTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private static string Response(string statusLine = "HTTP/1.1 101 Switching Protocols", string? upgrade = "websocket",
        string? connection = "Upgrade", string? accept = null) =>
        string.Join("\r\n", new[]
        {
            statusLine,
            upgrade is null ? null : $"Upgrade: {upgrade}",
            connection is null ? null : $"Connection: {connection}",
            $"Sec-WebSocket-Accept: {accept ?? UpgradeHandshake.ExpectedAccept(Key)}",
        }.OfType<string>());

    [Fact]
    public void The_accept_key_is_the_one_of_RFC_6455() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", UpgradeHandshake.ExpectedAccept(Key));

    [Fact]
    public void New_keys_are_16_random_bytes_in_base64()
    {
        var a = UpgradeHandshake.NewKey();
        Assert.Equal(16, Convert.FromBase64String(a).Length);
        Assert.NotEqual(a, UpgradeHandshake.NewKey());
    }

    [Fact]
    public void A_correct_101_passes()
    {
        UpgradeHandshake.Validate(Response(), Key);
        // Header names and values are case-insensitive; Connection may list several tokens.
        UpgradeHandshake.Validate(
            $"HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-accept: {UpgradeHandshake.ExpectedAccept(Key)}", Key);
    }

    [Fact]
    public void A_wrong_accept_key_is_a_bad_upgrade()
    {
        var error = Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(Response(accept: "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), Key));
        Assert.Equal(ConnectFailure.BadUpgrade, error.Failure);
        Assert.Equal("bad-upgrade", error.Label);
        Assert.Contains("Accept", error.Message);
    }

    [Fact]
    public void An_accept_key_for_another_request_is_a_bad_upgrade() =>
        Assert.Equal(ConnectFailure.BadUpgrade,
            Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(Response(), UpgradeHandshake.NewKey())).Failure);

    [Theory]
    [InlineData(200)]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(426)]
    [InlineData(503)]
    public void A_status_other_than_101_is_reported_with_its_code(int status)
    {
        var error = Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate($"HTTP/1.1 {status} Whatever\r\nContent-Length: 0", Key));
        Assert.Equal(ConnectFailure.HttpStatus, error.Failure);
        Assert.Equal(status, error.HttpStatus);
        Assert.Equal($"http-{status}", error.Label);
    }

    [Fact]
    public void A_101_without_an_upgrade_header_is_a_bad_upgrade()
    {
        var error = Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(Response(upgrade: null), Key));
        Assert.Equal(ConnectFailure.BadUpgrade, error.Failure);
        Assert.Contains("Upgrade", error.Message);
    }

    [Fact]
    public void A_101_upgrading_to_something_else_is_a_bad_upgrade() =>
        Assert.Equal(ConnectFailure.BadUpgrade,
            Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(Response(upgrade: "h2c"), Key)).Failure);

    [Fact]
    public void A_101_without_connection_upgrade_is_a_bad_upgrade()
    {
        var error = Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(Response(connection: null), Key));
        Assert.Equal(ConnectFailure.BadUpgrade, error.Failure);
        Assert.Contains("Connection", error.Message);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.6")]
    [InlineData("HTTP/2 101")]
    [InlineData("HTTP/1.1 abc Nope")]
    [InlineData("")]
    public void Something_that_is_not_an_HTTP_response_is_a_bad_response(string statusLine)
    {
        var error = Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(statusLine, Key));
        Assert.Equal(ConnectFailure.BadResponse, error.Failure);
        Assert.Equal("bad-response", error.Label);
    }

    [Fact]
    public void The_request_is_a_websocket_upgrade_with_our_headers()
    {
        var request = Encoding.ASCII.GetString(UpgradeHandshake.BuildRequest(
            new Uri("ws://127.0.0.1:5080/ws?room=7"), Key, [KeyValuePair.Create("Authorization", "Bearer abc")]));

        Assert.StartsWith("GET /ws?room=7 HTTP/1.1\r\n", request);
        Assert.Contains("\r\nHost: 127.0.0.1:5080\r\n", request);
        Assert.Contains("\r\nUpgrade: websocket\r\n", request);
        Assert.Contains("\r\nConnection: Upgrade\r\n", request);
        Assert.Contains($"\r\nSec-WebSocket-Key: {Key}\r\n", request);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", request);
        Assert.Contains("\r\nAuthorization: Bearer abc\r\n", request);
        Assert.EndsWith("\r\n\r\n", request);
    }

    [Fact]
    public void Subprotocols_are_offered_and_the_servers_choice_is_checked()
    {
        var request = Encoding.ASCII.GetString(UpgradeHandshake.BuildRequest(new Uri("ws://127.0.0.1/graphql"), Key, [], ["graphql-transport-ws"]));
        Assert.Contains("\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n", request);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", Encoding.ASCII.GetString(UpgradeHandshake.BuildRequest(new Uri("ws://127.0.0.1/"), Key, [])));

        UpgradeHandshake.Validate(Response() + "\r\nSec-WebSocket-Protocol: graphql-transport-ws", Key, ["graphql-transport-ws"]);
        UpgradeHandshake.Validate(Response(), Key, ["graphql-transport-ws"]); // none chosen: the protocol above sees what the server does next
        var wrong = Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(Response() + "\r\nSec-WebSocket-Protocol: graphql-ws", Key, ["graphql-transport-ws"]));
        Assert.Equal(ConnectFailure.UnofferedSubprotocol, wrong.Failure);
        Assert.Throws<ConnectFailedException>(() => UpgradeHandshake.Validate(Response() + "\r\nSec-WebSocket-Protocol: chat", Key));
        Assert.Throws<ArgumentException>(() => UpgradeHandshake.BuildRequest(new Uri("ws://127.0.0.1/"), Key, [], ["a, b"]));
    }

    [Theory]
    [InlineData("X-Evil\r\nHost", "x")]
    [InlineData("X-Name:", "x")]
    [InlineData("X-Ok", "a\r\nInjected: yes")]
    public void Headers_cannot_smuggle_lines(string name, string value) =>
        Assert.Throws<ArgumentException>(() => UpgradeHandshake.BuildRequest(new Uri("ws://127.0.0.1/"), Key, [KeyValuePair.Create(name, value)]));

    [Fact]
    public async Task Perform_returns_the_bytes_the_server_sent_after_the_headers()
    {
        var frame = new byte[] { 0x81, 0x02, (byte)'h', (byte)'i' };
        var stream = new ScriptedServer(key => [.. Encoding.ASCII.GetBytes(ResponseFor(key) + "\r\n\r\n"), .. frame]);

        var leftover = await UpgradeHandshake.PerformAsync(stream, new Uri("ws://127.0.0.1/ws"), [], 16 * 1024, CancellationToken.None);

        Assert.Equal(frame, leftover.ToArray());
        Assert.StartsWith("GET /ws HTTP/1.1", stream.Request);
    }

    [Fact]
    public async Task Perform_reads_a_response_that_arrives_a_byte_at_a_time()
    {
        var stream = new ScriptedServer(key => Encoding.ASCII.GetBytes(ResponseFor(key) + "\r\n\r\n"), maxChunk: 1);
        var leftover = await UpgradeHandshake.PerformAsync(stream, new Uri("ws://127.0.0.1/ws"), [], 16 * 1024, CancellationToken.None);
        Assert.True(leftover.IsEmpty);
    }

    [Fact]
    public async Task Perform_reports_a_server_that_closes_during_the_upgrade()
    {
        var stream = new ScriptedServer(_ => "HTTP/1.1 101 Switching"u8.ToArray());
        var error = await Assert.ThrowsAsync<ConnectFailedException>(() =>
            UpgradeHandshake.PerformAsync(stream, new Uri("ws://127.0.0.1/ws"), [], 16 * 1024, CancellationToken.None));
        Assert.Equal(ConnectFailure.ClosedDuringHandshake, error.Failure);
        Assert.Equal("closed-during-handshake", error.Label);
    }

    [Fact]
    public async Task Perform_refuses_response_headers_beyond_the_limit()
    {
        var stream = new ScriptedServer(_ => Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nX-Padding: " + new string('x', 40_000) + "\r\n\r\n"));
        var error = await Assert.ThrowsAsync<ConnectFailedException>(() =>
            UpgradeHandshake.PerformAsync(stream, new Uri("ws://127.0.0.1/ws"), [], 16 * 1024, CancellationToken.None));
        Assert.Equal(ConnectFailure.BadResponse, error.Failure);
    }

    private static string ResponseFor(string key) =>
        $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {UpgradeHandshake.ExpectedAccept(key)}";

    /// <summary>A stream playing a server: it reads the request, then answers with what the script makes of the request's key, then EOF.</summary>
    private sealed partial class ScriptedServer(Func<string, byte[]> respond, int maxChunk = int.MaxValue) : Stream
    {
        private readonly MemoryStream _request = new();
        private byte[]? _response;
        private int _offset;

        public string Request => Encoding.ASCII.GetString(_request.ToArray());

        public override void Write(byte[] buffer, int offset, int count) => _request.Write(buffer, offset, count);

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_response is null)
            {
                var key = KeyHeader().Match(Request).Groups[1].Value;
                _response = respond(key);
            }
            var n = Math.Min(Math.Min(count, maxChunk), _response.Length - _offset);
            Array.Copy(_response, _offset, buffer, offset, n);
            _offset += n;
            return n;
        }

        [GeneratedRegex(@"Sec-WebSocket-Key: (\S+)")]
        private static partial Regex KeyHeader();

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
