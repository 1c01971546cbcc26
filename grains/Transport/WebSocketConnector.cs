using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using SimCluster.Transport.Faults;

namespace SimCluster.Transport;

/// <summary>An open WebSocket and the fault stream under it.</summary>
public sealed record OpenedSocket(WebSocket WebSocket, FaultStream Stream, IPEndPoint? LocalEndPoint);

/// <summary>
/// Opens a WebSocket the way a simulated client needs: from a chosen source address, over a
/// <see cref="FaultStream"/>, with our own upgrade request. This is the connection factory handed to
/// Websocket.Client, so that fault injection and address binding happen below it.
/// </summary>
public static class WebSocketConnector
{
    // Linux IP_BIND_ADDRESS_NO_PORT: bind the address now, pick the port at connect time, so one source
    // address can reuse a port towards different destinations (more than ~28,000 connections per address).
    private const int IpBindAddressNoPort = 24;

    public static async Task<OpenedSocket> ConnectAsync(ConnectOptions options, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = CreateSocket(options);
        FaultStream? stream = null;
        try
        {
            if (options.LocalAddress is { } local)
            {
                if (OperatingSystem.IsLinux() && local.AddressFamily == AddressFamily.InterNetwork)
                    socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(local, 0));
            }
            await ConnectSocketAsync(socket, options.Target, timeout.Token).ConfigureAwait(false);

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

            Stream transport = stream;
            SslStream? tls = null;
            if (options.Target.Scheme == "wss")
            {
                tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = options.Target.Host,
                    RemoteCertificateValidationCallback = options.ServerCertificateValidation,
                }, timeout.Token).ConfigureAwait(false);
                transport = tls;
            }

            var leftover = await UpgradeHandshake.PerformAsync(transport, options.Target, options.Headers, options.MaxHandshakeBytes, timeout.Token).ConfigureAwait(false);
            if (tls is null)
            {
                stream.StartScanning(leftover.Span);
            }
            else
            {
                // Over TLS the fault stream sees ciphertext: the frames are followed above the decryption.
                var scanning = new ScanningStream(tls, stream);
                scanning.PushBack(leftover.Span);
                transport = scanning;
            }

            var webSocket = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions
            {
                IsServer = false,
                KeepAliveInterval = options.KeepAliveInterval,
            });
            return new OpenedSocket(webSocket, stream, socket.LocalEndPoint as IPEndPoint);
        }
        catch (Exception e)
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw Classify(e, ct);
        }
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

    private static async Task ConnectSocketAsync(Socket socket, Uri target, CancellationToken ct)
    {
        var port = target.Port > 0 ? target.Port : target.Scheme == "wss" ? 443 : 80;
        await Egress.ConnectAsync(socket, target.DnsSafeHost, port, EgressRule.For(target), ct).ConfigureAwait(false);
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
