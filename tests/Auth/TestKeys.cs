using System.Security.Cryptography;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;

namespace SimCluster.Tests.Auth;

/// <summary>Keys in temp files (never environment variables: those are process-wide) and plans that name them.</summary>
internal static class TestKeys
{
    public static string Secret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    public static string RsaPrivatePem()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    public static AuthPlan Plan(string material, string algorithm = "HS256", TimeSpan? lifetime = null)
    {
        var file = Path.Combine(Path.GetTempPath(), $"simcluster-key-{Guid.NewGuid():N}");
        File.WriteAllText(file, material);
        return new AuthPlan { Algorithm = algorithm, KeyFile = file, Lifetime = lifetime ?? TimeSpan.FromSeconds(30) };
    }

    public static Task<IssuedToken> Mint(AuthPlan plan, int client = 1, int seed = 1) =>
        new MintedTokenSource(plan, TimeProvider.System, new Random(seed)).IssueAsync(client, CancellationToken.None);
}
