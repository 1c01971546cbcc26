using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace SimCluster.Tests.Support;

/// <summary>
/// The test servers' one listener: a TCP listener on a free loopback port that hands every connection to
/// <c>serve</c> on its own task, ignores the errors of a peer that went away, and closes the connection when
/// <c>serve</c> returns. Disposing it stops accepting and cancels the token every connection was given.
/// </summary>
internal sealed class LoopbackListener : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _connections;

    public LoopbackListener(Func<Socket, CancellationToken, Task> serve)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(async () =>
        {
            while (true)
            {
                Socket socket;
                try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
                Interlocked.Increment(ref _connections);
                _ = Task.Run(async () =>
                {
                    try { await serve(socket, _stop.Token); }
                    catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException or AuthenticationException) { }
                    finally { socket.Dispose(); }
                });
            }
        });
    }

    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
    }
}
