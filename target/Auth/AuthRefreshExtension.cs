using System.Text.Json;

namespace SimCluster.Target;

/// <summary>
/// <c>{"type":"auth.refresh","token":"…"}</c>: a valid token of the same subject with a later exp replaces the
/// connection's token (<c>{"type":"auth.refreshed","exp":E}</c>); anything else is <c>auth.rejected</c> with a
/// reason, and the connection keeps its old expiry.
/// </summary>
internal sealed class AuthRefreshExtension(JwtVerifier? verifier, TargetStats stats) : ISessionExtension
{
    public string Type => "auth.refresh";

    public async ValueTask HandleAsync(SessionProtocolHandler connection, ReadOnlyMemory<byte> frame)
    {
        if (verifier is null || connection.Connection.Auth is not { } auth)
        {
            Reject(connection, "authentication is off");
            return;
        }

        var (token, reason) = await verifier.VerifyAsync(ReadToken(frame.Span)).ConfigureAwait(false);
        if (token is { } verified)
        {
            if (auth.TryRefresh(verified) is not { } refusal)
            {
                Interlocked.Increment(ref stats.TokenRefreshes);
                connection.SendUnsequenced(Refreshed(auth.ExpiresAt.ToUnixTimeSeconds()));
                return;
            }

            reason = refusal;
        }

        Reject(connection, reason);
    }

    private void Reject(SessionProtocolHandler connection, string reason)
    {
        Interlocked.Increment(ref stats.TokenRefreshesRejected);
        connection.SendUnsequenced(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["type"] = "auth.rejected", ["reason"] = reason }));
    }

    private static byte[] Refreshed(long exp) => System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"auth.refreshed\",\"exp\":{exp}}}");

    private static string? ReadToken(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isToken = reader.ValueTextEquals("token"u8);
                reader.Read();
                if (isToken)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
