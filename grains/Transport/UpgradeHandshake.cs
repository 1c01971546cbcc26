using System.Security.Cryptography;
using System.Text;

namespace SimCluster.Transport;

/// <summary>
/// The HTTP/1.1 upgrade (RFC 6455 section 4), written by hand so that the request is ours to shape
/// (headers, tokens, deliberately broken variants) and the response is read within strict bounds.
/// </summary>
public static class UpgradeHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static string NewKey()
    {
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        return Convert.ToBase64String(nonce);
    }

    public static string ExpectedAccept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));

    public static byte[] BuildRequest(Uri target, string key, IReadOnlyList<KeyValuePair<string, string>> headers, IReadOnlyList<string>? subProtocols = null)
    {
        var sb = new StringBuilder(256);
        sb.Append("GET ").Append(target.PathAndQuery).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(target.Authority).Append("\r\n");
        sb.Append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
        sb.Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
        sb.Append("Sec-WebSocket-Version: 13\r\n");
        if (subProtocols is { Count: > 0 })
        {
            foreach (var name in subProtocols)
                if (name.Length == 0 || name.AsSpan().IndexOfAny("\r\n,; \t") >= 0)
                    throw new ArgumentException($"subprotocol '{name}' is empty or contains a separator");
            sb.Append("Sec-WebSocket-Protocol: ").AppendJoin(", ", subProtocols).Append("\r\n");
        }
        foreach (var (name, value) in headers)
        {
            if (name.AsSpan().IndexOfAny("\r\n:") >= 0 || value.AsSpan().IndexOfAny("\r\n") >= 0)
                throw new ArgumentException($"header '{name}' contains a line break or colon");
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        sb.Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>
    /// Sends the request and reads the response header block. Returns any bytes read past it (the server
    /// may start sending frames at once). Throws <see cref="ConnectFailedException"/> on any deviation.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>> PerformAsync(
        Stream stream, Uri target, IReadOnlyList<KeyValuePair<string, string>> headers, int maxResponseBytes, CancellationToken ct,
        IReadOnlyList<string>? subProtocols = null, bool requireSubProtocol = false)
    {
        var key = NewKey();
        await stream.WriteAsync(BuildRequest(target, key, headers, subProtocols), ct).ConfigureAwait(false);

        var buffer = new byte[Math.Min(4096, maxResponseBytes)];
        var filled = 0;
        int headerEnd;
        while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled == buffer.Length)
            {
                if (buffer.Length >= maxResponseBytes)
                    throw new ConnectFailedException(ConnectFailure.BadResponse, $"upgrade response headers exceed {maxResponseBytes} bytes");
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, maxResponseBytes));
            }
            int n;
            try
            {
                n = await stream.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new ConnectFailedException(ConnectFailure.ClosedDuringHandshake, "the server reset the connection during the upgrade", inner: e);
            }
            if (n == 0)
                throw new ConnectFailedException(ConnectFailure.ClosedDuringHandshake, "the server closed the connection during the upgrade");
            filled += n;
        }

        Validate(Encoding.Latin1.GetString(buffer, 0, headerEnd), key, subProtocols, requireSubProtocol);
        return buffer.AsMemory(headerEnd + 4, filled - headerEnd - 4);
    }

    /// <summary>
    /// Checks the status line, the upgrade headers, the accept key and the server's choice of subprotocol (one
    /// offered, and with <paramref name="requireSubProtocol"/> one at all).
    /// </summary>
    public static void Validate(string headerBlock, string key, IReadOnlyList<string>? subProtocols = null, bool requireSubProtocol = false)
    {
        var lines = headerBlock.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], out var code))
            throw new ConnectFailedException(ConnectFailure.BadResponse, $"not an HTTP response: '{Truncate(lines[0])}'");
        if (code != 101)
            throw new ConnectFailedException(ConnectFailure.HttpStatus, $"the server answered the upgrade with HTTP {code}", code);

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        if (!headers.TryGetValue("Upgrade", out var upgrade) || !upgrade.Equals("websocket", StringComparison.OrdinalIgnoreCase))
            throw new ConnectFailedException(ConnectFailure.BadUpgrade, "101 without 'Upgrade: websocket'");
        if (!headers.TryGetValue("Connection", out var connection) || !connection.Contains("upgrade", StringComparison.OrdinalIgnoreCase))
            throw new ConnectFailedException(ConnectFailure.BadUpgrade, "101 without 'Connection: Upgrade'");
        if (!headers.TryGetValue("Sec-WebSocket-Accept", out var accept) || accept != ExpectedAccept(key))
            throw new ConnectFailedException(ConnectFailure.BadUpgrade, "101 with a wrong Sec-WebSocket-Accept key");
        // RFC 6455 4.1: a subprotocol the client did not offer fails the connection.
        if (headers.TryGetValue("Sec-WebSocket-Protocol", out var chosen) && !(subProtocols ?? []).Contains(chosen, StringComparer.Ordinal))
            throw new ConnectFailedException(ConnectFailure.UnofferedSubprotocol, $"101 with subprotocol '{Truncate(chosen)}', which was not offered");
        if (requireSubProtocol && string.IsNullOrEmpty(chosen))
            throw new ConnectFailedException(ConnectFailure.NoSubprotocol, $"101 without a subprotocol; offered: {string.Join(", ", subProtocols ?? [])}");
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
