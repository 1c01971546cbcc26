using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Security;

namespace SimCluster.Grains.Auth;

/// <summary>
/// Reads the signing key named by an <see cref="AuthPlan"/> (environment variable or file) once per process.
/// HS*: the secret's UTF-8 bytes, at least 32. RS*: a PEM RSA private key. Error messages never contain
/// key material.
/// </summary>
public static class SigningKeys
{
    public const int MinSecretBytes = 32;
    private static readonly ConcurrentDictionary<(string?, string?, string), SecurityKey> Cache = new();
    private static readonly ConcurrentDictionary<string, SecurityKey> Forged = new();

    public static bool IsRsa(string algorithm) => algorithm.StartsWith("RS", StringComparison.Ordinal);

    public static SecurityKey For(AuthPlan plan) =>
        Cache.GetOrAdd((plan.KeyEnv, plan.KeyFile, plan.Algorithm), _ => Parse(ReadMaterial(plan.KeyEnv, plan.KeyFile), plan.Algorithm));

    /// <summary>A key of the same kind that the target does not know: tokens signed with it have a bad signature.</summary>
    public static SecurityKey ForgedFor(string algorithm) =>
        Forged.GetOrAdd(IsRsa(algorithm) ? "rsa" : "hmac", kind => kind == "rsa"
            ? new RsaSecurityKey(RSA.Create(2048))
            : new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(64)));

    /// <summary>The raw text of the key, from the environment variable or the file; null after <paramref name="error"/>.</summary>
    public static string? TryReadMaterial(string? env, string? file, out string? error) =>
        SecretReference.TryRead(env, file, out error);

    /// <summary>Checks the key material for the algorithm; null when usable, else why not (without the key).</summary>
    public static string? Check(string material, string algorithm)
    {
        try
        {
            Parse(material, algorithm);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>What the target needs to verify: the secret itself (HS*) or the public key as PEM (RS*).</summary>
    public static string VerificationMaterial(string material, string algorithm)
    {
        if (!IsRsa(algorithm)) return material;
        using var rsa = RSA.Create();
        rsa.ImportFromPem(material);
        return rsa.ExportSubjectPublicKeyInfoPem();
    }

    private static string ReadMaterial(string? env, string? file) =>
        TryReadMaterial(env, file, out var error) ?? throw new TokenUnavailableException("token-key", error!);

    private static SecurityKey Parse(string material, string algorithm)
    {
        if (IsRsa(algorithm))
        {
            var rsa = RSA.Create();
            try { rsa.ImportFromPem(material); }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                rsa.Dispose();
                throw new ArgumentException($"{algorithm} needs a PEM RSA private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)");
            }
            return new RsaSecurityKey(rsa);
        }
        var bytes = Encoding.UTF8.GetBytes(material.TrimEnd('\r', '\n'));
        if (bytes.Length < MinSecretBytes)
            throw new ArgumentException($"{algorithm} needs a secret of at least {MinSecretBytes} bytes (this one has {bytes.Length})");
        return new SymmetricSecurityKey(bytes);
    }
}
