using System.Net.Security;
using SimCluster.Tests.Support;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

/// <summary>connect.caFile's check: a server certificate must chain to the scenario's CAs and be for the host.</summary>
[Trait("Category", "Unit")]
public sealed class PrivateRootsTests
{
    [Fact]
    public void A_certificate_the_named_ca_issued_is_accepted_one_of_another_ca_or_self_signed_is_not()
    {
        using var ca = TestCertificates.Ca();
        using var other = TestCertificates.Ca("another CA");
        using var issued = TestCertificates.Server(ca);
        using var stranger = TestCertificates.Server(other);
        var check = PrivateRoots.For(TestCertificates.Pem(ca));
        // What the platform reports against its own trust store (an unknown root) is replaced by the check.
        Assert.True(check(this, issued, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(check(this, stranger, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(check(this, other, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void A_certificate_for_another_host_or_none_is_refused_even_from_the_named_ca()
    {
        using var ca = TestCertificates.Ca();
        using var issued = TestCertificates.Server(ca);
        var check = PrivateRoots.For(TestCertificates.Pem(ca));
        Assert.False(check(this, issued, null, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(check(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }
}
