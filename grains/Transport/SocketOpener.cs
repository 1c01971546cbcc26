using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SimCluster.Transport.Faults;

namespace SimCluster.Transport;

/// <summary>
/// Opens the connection every simulated client runs over, WebSocket (<see cref="WebSocketConnector"/>) or raw
/// (the malformed cases' <see cref="Malformed.RawConnection"/>): a socket bound to the options' source address,
/// connected through <see cref="Egress"/>, a <see cref="FaultStream"/> with the link's faults and, for
/// <c>wss://</c>, TLS inside that stream (below the shaping, so the server's frames are seen on arrival). Every
/// failure, of the connect or of what the caller does next under the same timeout, is one classified
/// <see cref="ConnectFailedException"/>, and the socket is released.
/// </summary>
public static class SocketOpener
{
    // Linux IP_BIND_ADDRESS_NO_PORT: bind the address now, pick the port at connect time, so one source
    // address can reuse a port towards different destinations (more than ~28,000 connections per address).
    private const int IpBindAddressNoPort = 24;

    /// <summary>
    /// Connects, then runs <paramref name="then"/> (the upgrade, or nothing) on the open stream; the whole of it
    /// within <see cref="ConnectOptions.ConnectTimeout"/>.
    /// </summary>
    public static async Task<T> OpenAsync<T>(ConnectOptions options, Func<FaultStream, CancellationToken, Task<T>> then, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = CreateSocket(options);
        FaultStream? stream = null;
        try
        {
            await ConnectSocketAsync(socket, options, timeout.Token).ConfigureAwait(false);
            // The connect completed on the socket engine's thread (SocketCompletions): the setup below is not its work.
            await Task.Yield();
            var target = options.Target;

            var random = new Random(options.Seed);
            var down = FaultRegistry.ForLink(options.Link, Direction.Down, random, options.Time);
            if (options.SlowReadBytesPerSecond is { } rate) down.Add(new SlowReadFault(rate, options.Time));
            stream = new FaultStream(
                socket,
                FaultRegistry.ForLink(options.Link, Direction.Up, random, options.Time),
                down,
                options.Time,
                options.WatchFrames,
                options.MaxMessageSize);
            stream.Scanner.LimitFragmentTime(options.Time, options.FragmentTimeLimit, stream.Reset);
            if (target.Scheme == "wss")
            {
                await stream.StartTlsAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = target.Host,
                    RemoteCertificateValidationCallback = options.ServerCertificateValidation,
                }, timeout.Token).ConfigureAwait(false);
            }
            return await then(stream, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw Classify(e, ct);
        }
    }

    /// <summary>
    /// Only the TCP connect, bound and egress-checked as a client's would be, within
    /// <see cref="ConnectOptions.ConnectTimeout"/> on <see cref="ConnectOptions.Time"/>: the caller owns the
    /// connected socket. Failures are the same classified <see cref="ConnectFailedException"/> as
    /// <see cref="OpenAsync{T}"/>'s.
    /// </summary>
    public static async Task<Socket> ConnectAsync(ConnectOptions options, CancellationToken ct)
    {
        using var bound = new CancellationTokenSource(options.ConnectTimeout, options.Time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, bound.Token);
        var socket = CreateSocket(options);
        try
        {
            await ConnectSocketAsync(socket, options, timeout.Token).ConfigureAwait(false);
            await Task.Yield(); // off the socket engine's thread, as in OpenAsync
            return socket;
        }
        catch (Exception e)
        {
            socket.Dispose();
            throw Classify(e, ct);
        }
    }

    private static async Task ConnectSocketAsync(Socket socket, ConnectOptions options, CancellationToken ct)
    {
        if (options.LocalAddress is { } local)
        {
            if (OperatingSystem.IsLinux() && local.AddressFamily == AddressFamily.InterNetwork)
                socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(local, 0));
        }
        var target = options.Target;
        var port = target.Port > 0 ? target.Port : target.Scheme == "wss" ? 443 : 80;
        await Egress.ConnectAsync(socket, target.DnsSafeHost, port, EgressRule.For(target), ct).ConfigureAwait(false);
    }

    /// <summary>A socket of the source address's family (or the target's, when it is an IP literal).</summary>
    private static Socket CreateSocket(ConnectOptions options)
    {
        var family = options.LocalAddress?.AddressFamily
            ?? (IPAddress.TryParse(options.Target.DnsSafeHost, out var ip) ? ip.AddressFamily : AddressFamily.Unspecified);
        var socket = family == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        return socket;
    }

    private static Exception Classify(Exception e, CancellationToken callerToken) => e switch
    {
        ConnectFailedException => e,
        EgressRefusedException => new ConnectFailedException(ConnectFailure.Egress, e.Message, inner: e),
        OperationCanceledException when !callerToken.IsCancellationRequested =>
            new ConnectFailedException(ConnectFailure.Timeout, "connect timed out", inner: e),
        OperationCanceledException => e,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } =>
            new ConnectFailedException(ConnectFailure.Refused, "connection refused", inner: e),
        SocketException { SocketErrorCode: SocketError.TimedOut } =>
            new ConnectFailedException(ConnectFailure.Timeout, "connect timed out", inner: e),
        SocketException { SocketErrorCode: SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.AddressNotAvailable } se =>
            new ConnectFailedException(ConnectFailure.Unreachable, se.Message, inner: e),
        SocketException { SocketErrorCode: SocketError.ConnectionReset } or IOException =>
            new ConnectFailedException(ConnectFailure.ClosedDuringHandshake, "the server closed the connection during the upgrade", inner: e),
        System.Security.Authentication.AuthenticationException =>
            new ConnectFailedException(ConnectFailure.Tls, e.Message, inner: e),
        _ => new ConnectFailedException(ConnectFailure.Other, e.Message, inner: e),
    };
}
