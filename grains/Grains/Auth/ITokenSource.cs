namespace SimCluster.Grains.Auth;

/// <summary>Where a client's tokens come from: minted here (<see cref="MintedTokenSource"/>) or fetched (<see cref="UrlTokenSource"/>).</summary>
public interface ITokenSource
{
    /// <summary>A fresh token for <paramref name="clientIndex"/>; throws <see cref="TokenUnavailableException"/>.</summary>
    Task<IssuedToken> IssueAsync(int clientIndex, CancellationToken ct);
}
