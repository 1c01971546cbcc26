using System.Net;
using System.Net.Security;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Transport;

/// <summary>Everything needed to open one simulated client's WebSocket.</summary>
public sealed record ConnectOptions
{
    public required Uri Target { get; init; }

    /// <summary>Source address to bind before connecting (a simulated interface); null lets the OS choose.</summary>
    public IPAddress? LocalAddress { get; init; }

    /// <summary>Extra request headers for the upgrade (for example <c>Authorization</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>
    /// Subprotocols offered in <c>Sec-WebSocket-Protocol</c>, in order of preference: the protocol's own
    /// (graphql-transport-ws) first, then the scenario's <c>connect.subprotocols</c>; add with <see cref="Offer"/>.
    /// Empty: none offered. A server that picks one not offered fails the upgrade (<c>unoffered-subprotocol</c>);
    /// one that picks none is accepted unless <see cref="RequireSubProtocol"/> (RFC 6455 lets it), and the
    /// protocol above then sees what the server does next (graphql-ws closes 4406).
    /// </summary>
    public IReadOnlyList<string> SubProtocols { get; init; } = [];

    /// <summary>The server must choose one of <see cref="SubProtocols"/>: a 101 without one fails the upgrade (<c>no-subprotocol</c>).</summary>
    public bool RequireSubProtocol { get; init; }

    /// <summary>These options with <paramref name="names"/> offered after those already offered (each name once).</summary>
    public ConnectOptions Offer(IEnumerable<string> names)
    {
        var offered = SubProtocols.ToList();
        foreach (var name in names)
            if (!offered.Contains(name, StringComparer.Ordinal)) offered.Add(name);
        return offered.Count == SubProtocols.Count ? this : this with { SubProtocols = offered };
    }

    /// <summary>TCP connect plus upgrade must finish within this.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Unsolicited PONGs / PINGs from the .NET WebSocket. Zero by default: a client that sends its own
    /// keep-alives would look alive to a server even while it is a zombie.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Largest response header block accepted from the server.</summary>
    public int MaxHandshakeBytes { get; init; } = 16 * 1024;

    /// <summary>
    /// Largest message accepted from the server (all fragments). A frame header announcing more resets the
    /// connection before any of the payload is read (<see cref="FrameScanner"/>), whichever driver is used.
    /// </summary>
    public long MaxMessageSize { get; init; } = FrameScanner.DefaultMaxMessageSize;

    /// <summary>
    /// How long a fragmented message from the server may stay unfinished after its first frame: past it the
    /// connection is reset (disconnect cause <c>stalled-fragment</c>, <see cref="FrameScanner"/>), whichever
    /// driver is used. A client grain sets the run's <c>messages.lossTimeout</c>, whose default this is.
    /// </summary>
    public TimeSpan FragmentTimeLimit { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Decides whether a <c>wss://</c> server's certificate is accepted; null (the default) is the system's
    /// validation against its trusted roots. Set by code only (tests trust their own self-signed certificate).
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    public LinkProfile Link { get; init; } = LinkProfile.Loopback;

    /// <summary>The code above the socket: Websocket.Client (default) or the lean receive loop.</summary>
    public ClientDriver Driver { get; init; } = ClientDrivers.Default;

    /// <summary>Watch the server's frames (Close, PONG) below the WebSocket: zombies and client PINGs need it.</summary>
    public bool WatchFrames { get; init; }

    /// <summary>Prepare a slow-reader fault (inactive until the client turns into a slow reader).</summary>
    public long? SlowReadBytesPerSecond { get; init; }

    /// <summary>Seeds the link's random faults (jitter, loss), so a run can be repeated.</summary>
    public int Seed { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
