using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Protocols.SocketIo;

/// <summary>
/// The frames a Socket.IO client writes, for one namespace: the namespace connect with its auth object, the paced
/// event (<c>42[/nsp,][id]["event",...args]</c>, with the scenario's args template or the fixed
/// <c>{"seq","t","p"}</c> object), and the ack of a server event.
/// </summary>
public sealed class SocketioFrames
{
    /// <summary>The default arguments: one object numbering the message, its send time and padding to <c>messages.size</c>.</summary>
    internal const string DefaultArgs = """[{"seq":{seq},"t":{ts},"p":"{body}"}]""";

    private readonly string _prefix;
    private readonly JsonTemplate _event;
    private readonly int _size;
    private readonly int _client;

    /// <param name="args">The event's arguments, a JSON array template (checked when the scenario was read); null: <see cref="DefaultArgs"/>.</param>
    public SocketioFrames(string nsp, string eventName, string? args, int size, int client)
    {
        _prefix = nsp == "/" ? "" : nsp + ",";
        var inner = (args ?? DefaultArgs).Trim();
        inner = inner[1..^1].Trim(); // a JSON array: its items go after the event's name
        _event = new JsonTemplate("[" + JsonSerializer.Serialize(eventName) + (inner.Length > 0 ? "," + inner : "") + "]");
        _size = size;
        _client = client;
    }

    /// <summary><c>40[/nsp,][auth]</c>: the namespace connect.</summary>
    public string Connect(string authPayload) => "40" + _prefix + authPayload;

    /// <summary>The paced event numbered <paramref name="seq"/>; with <paramref name="ack"/> it carries <paramref name="seq"/> as its ack id.</summary>
    public string Event(long seq, long unixMs, bool ack)
    {
        var head = "42" + _prefix + (ack ? seq.ToString(CultureInfo.InvariantCulture) : "");
        return head + _event.Fill(seq, unixMs, _client, Math.Max(0, _size - head.Length));
    }

    /// <summary><c>43[/nsp,]id[]</c>: the application acknowledges a server event that asked for it.</summary>
    public string Ack(long id) => "43" + _prefix + id.ToString(CultureInfo.InvariantCulture) + "[]";

    /// <summary>
    /// The namespace connect's auth object: the token, and with recovery the pid and offset held; empty (no
    /// object at all) when there is nothing to present.
    /// </summary>
    public static string AuthPayload(string? token, string? pid, string? offset)
    {
        if (token is null && pid is null) return "";
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (token is not null) w.WriteString("token", token);
            if (pid is not null)
            {
                w.WriteString("pid", pid);
                if (offset is not null) w.WriteString("offset", offset);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
