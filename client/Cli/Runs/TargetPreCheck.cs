using System.Net.Sockets;
using SimCluster.Transport;

namespace SimCluster.Cli.Runs;

/// <summary>
/// One probe connection to each target before any client is armed, through the same egress rule as the
/// clients: an unreachable target (refused, no such host, no answer within <see cref="Bound"/>) ends the run at
/// once with a message naming it, instead of a whole duration of refused connects. Only the TCP connect is
/// checked: whatever answers is reachable, and what it makes of an upgrade (a 401 without a token, say) is the
/// run's to measure.
/// </summary>
public static class TargetPreCheck
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    /// <summary>Null when every target accepted a connection; otherwise why one did not, naming it.</summary>
    public static async Task<string?> CheckAsync(IReadOnlyList<Uri> targets, TimeProvider time, CancellationToken ct)
    {
        foreach (var target in targets.Distinct())
        {
            var port = target.IsDefaultPort ? (target.Scheme == "wss" ? 443 : 80) : target.Port;
            using var timeout = new CancellationTokenSource(Bound, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            string? why = null;
            try
            {
                await Egress.ConnectAsync(socket, target.DnsSafeHost, port, EgressRule.For(target), linked.Token);
            }
            catch (EgressRefusedException e) { why = e.Message; }
            catch (SocketException e) { why = e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused (nothing listens on that port)",
                SocketError.HostNotFound or SocketError.NoData => $"host {target.DnsSafeHost} not found",
                _ => e.Message,
            }; }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { why = $"no answer within {Bound.TotalSeconds:0} s"; }
            if (why is not null)
                return $"the target {Abstractions.Security.Secrets.Redact(target)} is unreachable: {why} (one probe connection before any client was armed)";
        }
        return null;
    }
}
