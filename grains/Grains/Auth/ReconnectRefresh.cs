using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Metrics;

namespace SimCluster.Grains.Auth;

/// <summary>
/// Obtains a new token, then closes the connection and opens a new one with it. token_refresh_time runs from
/// the start of the refresh to the new connection being open.
/// </summary>
public sealed class ReconnectRefresh : IRefreshMode
{
    public RefreshMode Mode => RefreshMode.Reconnect;
    public bool Refreshes => true;

    public async Task RefreshAsync(TokenSession session)
    {
        var (token, started) = await session.BeginRefreshAsync().ConfigureAwait(false);
        if (token is null) return;
        session.ReconnectWith(token, started);
    }
}
