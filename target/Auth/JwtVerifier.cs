using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SimCluster.Target;

/// <summary>What a valid token says: its subject and expiry.</summary>
internal readonly record struct VerifiedToken(string? Subject, DateTimeOffset ExpiresAt);

/// <summary>
/// Checks JWTs for the reference target: signature (HS* with the shared secret, RS* with a PEM public key),
/// exp and nbf with the configured clock skew, the algorithm pinned. Reasons never include the token.
/// </summary>
internal sealed class JwtVerifier
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenValidationParameters _parameters;

    public JwtVerifier(string algorithm, string keyMaterial, TimeSpan clockSkew)
    {
        ClockSkew = clockSkew;
        SecurityKey key;
        if (algorithm.StartsWith("RS", StringComparison.Ordinal))
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(keyMaterial);
            key = new RsaSecurityKey(rsa);
        }
        else
        {
            key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(keyMaterial.TrimEnd('\r', '\n')));
        }

        _parameters = new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKey = key,
            ValidAlgorithms = [algorithm],
            ClockSkew = clockSkew,
        };
    }

    public TimeSpan ClockSkew { get; }

    /// <summary>The same checks for JwtBearer (the SignalR hub): one key source for every endpoint of the target.</summary>
    public TokenValidationParameters Parameters => _parameters.Clone();

    /// <summary>The token's subject and expiry, or null with a short reason (expired, bad signature, malformed).</summary>
    public async Task<(VerifiedToken? Token, string Reason)> VerifyAsync(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (null, "no token");
        }

        var result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return (null, result.Exception switch
            {
                SecurityTokenExpiredException => "token expired",
                SecurityTokenNotYetValidException => "token not yet valid",
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "bad signature",
                SecurityTokenInvalidAlgorithmException => "wrong algorithm",
                _ => "invalid token",
            });
        }

        return (new VerifiedToken(jwt.Subject, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero)), "");
    }
}
