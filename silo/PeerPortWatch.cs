using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SimCluster.Silo;

/// <summary>
/// A supervisor that knows when a peer's process is gone: every <see cref="Period"/> it opens a TCP connection to
/// each active peer's silo port, and a peer refused <see cref="RefusalsToKill"/> times in a row is declared dead
/// at once (<see cref="IClusterMembershipService.TryKill"/>). A refused connection means no process listens on
/// that port any more (killed, crashed, OOM-killed); a paused or starved silo still holds its listening socket,
/// so the kernel accepts for it and it is never declared dead here. Timeouts and unreachable hosts prove nothing
/// and are left to membership's probes. Probing alone finds a killed silo in several seconds on a busy machine.
/// </summary>
public sealed class PeerPortWatch(IClusterMembershipService membership, ILocalSiloDetails local, TimeProvider time, ILogger<PeerPortWatch> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);
    public const int RefusalsToKill = 2;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    private readonly Dictionary<SiloAddress, int> _refusals = [];

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var peers = membership.CurrentSnapshot.Members.Values
                    .Where(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(local.SiloAddress))
                    .Select(m => m.SiloAddress).ToList();
                foreach (var gone in _refusals.Keys.Except(peers).ToList()) _refusals.Remove(gone);
                var refused = await Task.WhenAll(peers.Select(async p => (Peer: p, Refused: await RefusedAsync(p.Endpoint, ct))));
                foreach (var (peer, isRefused) in refused)
                {
                    _refusals[peer] = isRefused ? _refusals.GetValueOrDefault(peer) + 1 : 0;
                    if (_refusals[peer] < RefusalsToKill) continue;
                    _refusals.Remove(peer);
                    logger.LogWarning("silo {Silo} refuses connections on its silo port: its process is gone; declaring it dead", peer.ToParsableString());
                    try { await membership.TryKill(peer); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // The membership store may be unreachable: probes will find the silo once it is back.
                        logger.LogWarning("could not declare silo {Silo} dead: {Error}", peer.ToParsableString(), e.GetBaseException().Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>True only when the connection was actively refused (RST): nothing listens there.</summary>
    private static async Task<bool> RefusedAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            socket.LingerState = new LingerOption(true, 0); // no TIME_WAIT pile-up from four connects a second
            return false;
        }
        catch (SocketException e) { return e.SocketErrorCode == SocketError.ConnectionRefused; }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return false; }
    }
}
