using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Metrics;

namespace SimCluster.Grains.Auth;

/// <summary>
/// The session protocol's in-band refresh: <c>{"type":"auth.refresh","token":"…"}</c> on the open connection,
/// answered by <c>auth.refreshed</c> (new exp) or <c>auth.rejected</c>. token_refresh_time runs from the start
/// of the refresh (including obtaining the token) to the answer. With the replay injection the previous token
/// is offered once more afterwards: a server that accepts it counts in token_replays_accepted.
/// </summary>
public sealed class InBandRefresh : IRefreshMode
{
    public RefreshMode Mode => RefreshMode.InBand;
    public bool Refreshes => true;

    public async Task RefreshAsync(TokenSession session)
    {
        var (token, started) = await session.BeginRefreshAsync().ConfigureAwait(false);
        if (token is null) return;
        var previous = session.Current;
        var answer = await session.SendRefreshAsync(token).ConfigureAwait(false);
        switch (answer)
        {
            case RefreshAnswer.Refreshed:
                session.Metrics.Count(MetricNames.TokenRefreshes);
                session.Metrics.Record(MetricNames.TokenRefreshTime, session.Time.GetElapsedTime(started));
                session.Adopt(token);
                break;
            case RefreshAnswer.Rejected:
                session.Metrics.Count(MetricNames.AuthRejections);
                session.Metrics.Count(MetricNames.TokenRefreshFailures);
                return;
            case RefreshAnswer.TimedOut:
                session.Metrics.Count(MetricNames.TokenRefreshFailures);
                return;
            case RefreshAnswer.NotConnected:
                return; // the connection ended meanwhile; the next one starts with a fresh token
        }

        if (session.Plan.ReplayOld && previous is not null)
        {
            var replay = await session.SendRefreshAsync(previous).ConfigureAwait(false);
            if (replay == RefreshAnswer.Refreshed) session.Metrics.Count(MetricNames.TokenReplaysAccepted);
            else if (replay == RefreshAnswer.Rejected) session.Metrics.Count(MetricNames.AuthRejections);
            // Whatever the server made of the replay, the client goes on with its newest token.
        }
        session.ScheduleNext();
    }
}
