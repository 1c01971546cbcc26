using System.Net.Sockets;

namespace SimCluster.Transport;

/// <summary>
/// When the peer gave up on a connection, as the socket saw it: a Close frame (from the frame scanner), FIN or
/// RST, timestamped on the <see cref="TimeProvider"/> the moment the bytes arrived, whatever the shaping above
/// does with them. The first ending wins; our own end of the connection cancels it instead.
/// </summary>
internal sealed class PeerGoneDetector(Socket socket, TimeProvider time)
{
    private const int TcpInfo = 11; // TCP_INFO; its first byte is the connection's state
    private const byte TcpClose = 7, TcpCloseWait = 8;

    private readonly TaskCompletionSource<long> _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> Gone => _gone.Task;

    public bool Seen => _gone.Task.IsCompleted;

    /// <summary>The code of the server's Close frame when that is how the peer gave up.</summary>
    public int? CloseCode { get; private set; }

    /// <summary>The socket ended now: FIN, RST or an error.</summary>
    public void SocketEnded() => _gone.TrySetResult(time.GetTimestamp());

    /// <summary>A Close frame arrived now.</summary>
    public void CloseFrame(int? code)
    {
        if (Seen) return;
        CloseCode = code;
        _gone.TrySetResult(time.GetTimestamp());
    }

    /// <summary>We ended the connection ourselves: the peer did not give up.</summary>
    public void WeEnded() => _gone.TrySetCanceled();

    /// <summary>
    /// For a socket nobody reads just now: records the peer's FIN or RST if the kernel already has it, read or
    /// not (Linux: the TCP state, CLOSE_WAIT or CLOSE). Returns whether the peer is known to be gone.
    /// </summary>
    public bool CheckTcpState()
    {
        if (!Seen && OperatingSystem.IsLinux() && PeerEndedTcp()) SocketEnded();
        return Seen;
    }

    private bool PeerEndedTcp()
    {
        Span<byte> info = stackalloc byte[8];
        try
        {
            return socket.GetRawSocketOption((int)SocketOptionLevel.Tcp, TcpInfo, info) > 0 && info[0] is TcpClose or TcpCloseWait;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}
