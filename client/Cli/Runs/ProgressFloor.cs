using SimCluster.Abstractions.Runs;

namespace SimCluster.Cli.Runs;

/// <summary>
/// Keeps the progress a driver shows from going backwards. A coordinator that takes a run over starts from the
/// driver's last checkpoint (up to a checkpoint interval older than the numbers last shown), and the lost silo's
/// counts stay at that checkpoint while the survivors' are read afresh, so its first answers can hold lower totals
/// than the line already showed. Cumulative counts are therefore shown as at least what was shown before; what is
/// measured anew each second (open connections, message rate, RTT p95, live silos) is shown as it comes. Only the
/// view is floored: the report is built from the coordinator's own result, where the difference is the lost
/// silo's hole.
/// </summary>
public sealed class ProgressFloor
{
    private RunProgress? _shown;

    /// <summary>The progress to show: <paramref name="progress"/> with no cumulative count below the one shown before.</summary>
    public RunProgress Apply(RunProgress progress)
    {
        if (_shown is { } shown)
        {
            progress = progress with
            {
                ElapsedSeconds = Math.Max(progress.ElapsedSeconds, shown.ElapsedSeconds),
                Started = Math.Max(progress.Started, shown.Started),
                Connects = Math.Max(progress.Connects, shown.Connects),
                ConnectFailures = Math.Max(progress.ConnectFailures, shown.ConnectFailures),
                Disconnects = Math.Max(progress.Disconnects, shown.Disconnects),
                Reconnects = Math.Max(progress.Reconnects, shown.Reconnects),
                ForcedDrops = Math.Max(progress.ForcedDrops, shown.ForcedDrops),
                MessagesSent = Math.Max(progress.MessagesSent, shown.MessagesSent),
                MessagesReceived = Math.Max(progress.MessagesReceived, shown.MessagesReceived),
                MessagesLost = Math.Max(progress.MessagesLost, shown.MessagesLost),
                LostClients = Math.Max(progress.LostClients, shown.LostClients),
                ReactivatedClients = Math.Max(progress.ReactivatedClients, shown.ReactivatedClients),
                ZombiesEvicted = Math.Max(progress.ZombiesEvicted, shown.ZombiesEvicted),
                TokenRefreshes = Math.Max(progress.TokenRefreshes, shown.TokenRefreshes),
                Attacks = Math.Max(progress.Attacks, shown.Attacks),
                Failovers = Math.Max(progress.Failovers, shown.Failovers),
            };
        }
        _shown = progress;
        return progress;
    }
}
