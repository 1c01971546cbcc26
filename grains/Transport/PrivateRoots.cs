using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SimCluster.Transport;

/// <summary>
/// Checks a TLS server's certificate against certificate authorities the scenario names (<c>connect.caFile</c>)
/// instead of the system's trust store: the chain must end at one of them, and the certificate must be for the
/// host the client asked for. One check per distinct PEM text, shared by every client of the process.
/// </summary>
public static class PrivateRoots
{
    private static readonly ConcurrentDictionary<string, RemoteCertificateValidationCallback> Checks = new(StringComparer.Ordinal);

    public static RemoteCertificateValidationCallback For(string pem) => Checks.GetOrAdd(pem, Create);

    private static RemoteCertificateValidationCallback Create(string pem)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(pem);
        return (_, certificate, presented, errors) =>
        {
            // The name and the presence of a certificate are checked as always; only the roots are the scenario's.
            if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            if (presented is not null)
            {
                foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
            return chain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
        };
    }
}
