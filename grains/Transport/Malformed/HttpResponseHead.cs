using System.Text;

namespace SimCluster.Transport.Malformed;

/// <summary>How reading an HTTP response head ended.</summary>
public enum HeadOutcome
{
    /// <summary>A complete status line and header block arrived.</summary>
    Complete,
    /// <summary>The server closed the connection (FIN) before a complete head.</summary>
    Closed,
    /// <summary>The connection was reset before a complete head.</summary>
    Reset,
    /// <summary>Nothing complete within the deadline.</summary>
    Timeout,
    /// <summary>Not HTTP, or a header block over the size cap.</summary>
    Garbage,
}

/// <summary>An HTTP response's status line and headers, read within a size cap.</summary>
public sealed record HttpResponseHead
{
    public required HeadOutcome Outcome { get; init; }
    public int Status { get; init; }
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    /// <summary>Bytes read past the head (the first WebSocket frames after a 101).</summary>
    public ReadOnlyMemory<byte> Leftover { get; init; }
    public long ElapsedTicks { get; init; }

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public override string ToString() => Outcome switch
    {
        HeadOutcome.Complete => $"HTTP {Status}",
        HeadOutcome.Closed => "connection closed without a response",
        HeadOutcome.Reset => "connection reset without a response",
        HeadOutcome.Timeout => "no response",
        _ => "not an HTTP response",
    };

    public static HttpResponseHead Parse(ReadOnlySpan<byte> head, ReadOnlyMemory<byte> leftover)
    {
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], out var code))
            return new HttpResponseHead { Outcome = HeadOutcome.Garbage };
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? $"{earlier}, {value}" : value;
        }
        return new HttpResponseHead { Outcome = HeadOutcome.Complete, Status = code, Headers = headers, Leftover = leftover };
    }
}
