namespace SimCluster.Grains.Protocols.SocketIo;

/// <summary>
/// One Socket.IO packet inside an Engine.IO message (<c>4</c>): type, namespace (<c>/chat,</c>), ack id, JSON.
/// Parsing only: what a packet means is the protocol's.
/// </summary>
public readonly record struct SocketioPacket(char Type, string Namespace, long? Id, string Json)
{
    /// <summary>Longest ack id read: more digits than any id a client issues is no packet of ours.</summary>
    private const int MaxIdDigits = 15;

    /// <summary>The packet in <paramref name="s"/> (the text after the Engine.IO type); false when it is none (binary types, a bad id).</summary>
    public static bool TryParse(ReadOnlySpan<char> s, out SocketioPacket packet)
    {
        packet = default;
        if (s.Length == 0 || s[0] < '0' || s[0] > '6') return false;
        var type = s[0];
        var i = 1;
        if (type is '5' or '6') return false; // binary attachments: never sent as text alone
        var nsp = "/";
        if (i < s.Length && s[i] == '/')
        {
            var comma = s[i..].IndexOf(',');
            var end = comma < 0 ? s.Length : i + comma;
            nsp = s[i..end].ToString();
            i = comma < 0 ? s.Length : end + 1;
        }
        long? id = null;
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i > start)
        {
            if (i - start > MaxIdDigits || !long.TryParse(s[start..i], out var n)) return false;
            id = n;
        }
        packet = new SocketioPacket(type, nsp, id, s[i..].ToString());
        return true;
    }

    /// <summary>The Engine.IO WebSocket URL: the target's host and query, the server's path, <c>EIO=4&amp;transport=websocket</c>.</summary>
    public static Uri UpgradeUri(Uri target, string path)
    {
        var builder = new UriBuilder(target) { Path = path };
        var query = target.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "EIO=4&transport=websocket";
        return builder.Uri;
    }
}
