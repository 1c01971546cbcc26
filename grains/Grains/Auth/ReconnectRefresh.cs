using SimCluster.Abstractions.Metrics;

namespace SimCluster.Grains.Auth;

/// <summary>
/// Obtains a new token, then closes the connection and opens a new one with it. token_refresh_time runs from
/// the start of the refresh to the new connection being open.
/// </summary>
public sealed class ReconnectRefresh : IRefreshMode
{
    public string Name => "reconnect";
    public bool Refreshes => true;

    public async Task RefreshAsync(TokenSession session)
    {
        var started = session.Time.GetTimestamp();
        var token = await session.TryIssueAsync().ConfigureAwait(false);
        if (token is null)
        {
            session.Metrics.Count(MetricNames.TokenRefreshFailures);
            return;
        }
        session.ReconnectWith(token, started);
    }
}
