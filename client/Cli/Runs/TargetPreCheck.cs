using System.Net.Sockets;
using SimCluster.Transport;

namespace SimCluster.Cli.Runs;

/// <summary>
/// One probe connection to each target before any client is armed, opened by the clients' own
/// <see cref="SocketOpener.ConnectAsync"/> (same egress rule, same classification): an unreachable target
/// (refused, no such host, no answer within <see cref="Bound"/>) ends the run at once with a message naming it,
/// instead of a whole duration of refused connects. Only the TCP connect is checked: whatever answers is
/// reachable, and what it makes of TLS or an upgrade (a 401 without a token, say) is the run's to measure.
/// </summary>
public static class TargetPreCheck
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    /// <summary>Null when every target accepted a connection; otherwise why one did not, naming it.</summary>
    public static async Task<string?> CheckAsync(IReadOnlyList<Uri> targets, TimeProvider time, CancellationToken ct)
    {
        foreach (var target in targets.Distinct())
        {
            string? why = null;
            try
            {
                using var socket = await SocketOpener.ConnectAsync(new ConnectOptions { Target = target, ConnectTimeout = Bound, Time = time }, ct);
            }
            catch (ConnectFailedException e) { why = Why(e, target); }
            if (why is not null)
                return $"the target {Abstractions.Security.Secrets.Redact(target)} is unreachable: {why} (one probe connection before any client was armed)";
        }
        return null;
    }

    private static string Why(ConnectFailedException e, Uri target) => e.Failure switch
    {
        ConnectFailure.Refused => "connection refused (nothing listens on that port)",
        ConnectFailure.Timeout => $"no answer within {Bound.TotalSeconds:0} s",
        _ when e.InnerException is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } => $"host {target.DnsSafeHost} not found",
        _ => e.Message,
    };
}
