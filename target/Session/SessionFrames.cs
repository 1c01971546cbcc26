using System.Buffers;
using System.Text.Json;

namespace SimCluster.Target;

/// <summary>Frame types of session protocol v1 (docs/session-protocol.md) that the server reads.</summary>
internal enum SessionFrameType
{
    Other,
    Hello,
    Msg,
    Ack,
    Ping,
}

/// <summary>
/// A parsed client frame. Raw values (ts, body) are offsets into the received buffer so they can be echoed
/// byte for byte without decoding; they are valid only while that buffer is.
/// </summary>
internal struct SessionFrame
{
    public SessionFrameType Type;

    /// <summary>The type name when <see cref="Type"/> is Other (for extensions such as auth.refresh).</summary>
    public string? OtherType;

    public string? Session;
    public long LastSeq;
    public long Seq;
    public bool HasSeq;
    public int TsStart;
    public int TsLength;
    public int BodyStart;
    public int BodyLength;
}

/// <summary>Parses and writes session-protocol frames with Utf8JsonReader/Writer (no DOM, no reflection).</summary>
internal static class SessionFrames
{
    /// <summary>Longest accepted session id, so ids cannot be used to grow server memory.</summary>
    public const int MaxSessionIdLength = 256;

    private const string PushBody = "push";

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Cheap check of a connection's first text frame: a JSON object whose "type" is "hello".</summary>
    public static bool IsHello(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("hello"u8);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    /// <summary>Strict parse: one JSON object, a string "type", integer seq/lastSeq where they matter, nothing after it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out SessionFrame frame)
    {
        frame = default;
        var hasType = false;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    hasType = true;
                    frame.Type = reader.ValueTextEquals("msg"u8) ? SessionFrameType.Msg
                        : reader.ValueTextEquals("ack"u8) ? SessionFrameType.Ack
                        : reader.ValueTextEquals("ping"u8) ? SessionFrameType.Ping
                        : reader.ValueTextEquals("hello"u8) ? SessionFrameType.Hello
                        : SessionFrameType.Other;
                    frame.OtherType = frame.Type == SessionFrameType.Other ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("session"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    frame.Session = reader.GetString();
                }
                else if (reader.ValueTextEquals("lastSeq"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out frame.LastSeq) || frame.LastSeq < 0)
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out frame.Seq) || frame.Seq < 0)
                    {
                        return false;
                    }

                    frame.HasSeq = true;
                }
                else if (reader.ValueTextEquals("ts"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number)
                    {
                        return false;
                    }

                    frame.TsStart = (int)reader.TokenStartIndex;
                    frame.TsLength = (int)reader.BytesConsumed - frame.TsStart;
                }
                else if (reader.ValueTextEquals("body"u8))
                {
                    reader.Read();
                    frame.BodyStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    frame.BodyLength = (int)reader.BytesConsumed - frame.BodyStart;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // Trailing content after the object makes the reader throw; reaching here means one value only.
            if (reader.Read())
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }

        if (!hasType)
        {
            return false;
        }

        return frame.Type switch
        {
            SessionFrameType.Hello => !string.IsNullOrEmpty(frame.Session) && frame.Session.Length <= MaxSessionIdLength,
            SessionFrameType.Msg => frame.HasSeq && frame.Seq >= 1,
            SessionFrameType.Ack => frame.HasSeq,
            _ => true,
        };
    }

    public static byte[] Welcome(string session, bool resumed, long lastSeq)
    {
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("type"u8, "welcome"u8);
        w.WriteString("session"u8, session);
        w.WriteBoolean("resumed"u8, resumed);
        w.WriteNumber("lastSeq"u8, lastSeq);
        w.WriteEndObject();
        return End(w);
    }

    /// <summary>The echo of client message <paramref name="echo"/>, carrying the client's own ts and body unchanged.</summary>
    public static byte[] Echo(long seq, long echo, ReadOnlySpan<byte> rawTs, ReadOnlySpan<byte> rawBody)
    {
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("type"u8, "msg"u8);
        w.WriteNumber("seq"u8, seq);
        w.WriteNumber("echo"u8, echo);
        w.WritePropertyName("ts"u8);
        if (rawTs.IsEmpty)
        {
            w.WriteNumberValue(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
        else
        {
            w.WriteRawValue(rawTs, skipInputValidation: true);
        }

        w.WritePropertyName("body"u8);
        if (rawBody.IsEmpty)
        {
            w.WriteStringValue(""u8);
        }
        else
        {
            w.WriteRawValue(rawBody, skipInputValidation: true);
        }

        w.WriteEndObject();
        return End(w);
    }

    public static byte[] Push(long seq, long unixMs)
    {
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("type"u8, "msg"u8);
        w.WriteNumber("seq"u8, seq);
        w.WriteNumber("ts"u8, unixMs);
        w.WriteString("body"u8, PushBody);
        w.WriteEndObject();
        return End(w);
    }

    public static byte[] Pong(ReadOnlySpan<byte> rawTs)
    {
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("type"u8, "pong"u8);
        w.WritePropertyName("ts"u8);
        if (rawTs.IsEmpty)
        {
            w.WriteNumberValue(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
        else
        {
            w.WriteRawValue(rawTs, skipInputValidation: true);
        }

        w.WriteEndObject();
        return End(w);
    }

    public static byte[] Error(string reason)
    {
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("type"u8, "error"u8);
        w.WriteString("reason"u8, reason);
        w.WriteEndObject();
        return End(w);
    }

    // One writer per thread, reset per frame: the only allocation per frame is the byte[] the frame must live in.
    private static Utf8JsonWriter Begin()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        writer.Reset(buffer);
        return writer;
    }

    private static byte[] End(Utf8JsonWriter writer)
    {
        writer.Flush();
        var frame = t_buffer!.WrittenSpan.ToArray();
        if (t_buffer.Capacity > 64 * 1024)
        {
            // Do not keep a huge per-thread buffer alive after one big echo.
            t_buffer = null;
            t_writer = null;
        }

        return frame;
    }
}
