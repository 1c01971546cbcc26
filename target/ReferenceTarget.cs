using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SimCluster.Target;

/// <summary>
/// The reference target: a Kestrel server with one WebSocket endpoint (echo or session protocol) and
/// <c>GET /stats</c>, <c>/metrics</c>, <c>/health</c>. Used by <c>simcluster target</c> and <c>target: embedded</c>.
/// </summary>
public sealed class ReferenceTarget : IAsyncDisposable
{
    // Stop budget: 2.5 s for close handshakes, then up to 1.5 s for Kestrel to drain and abort the rest.
    private static readonly TimeSpan CloseAllTimeout = TimeSpan.FromSeconds(2.5);
    private static readonly TimeSpan HostStopTimeout = TimeSpan.FromSeconds(1.5);

    private readonly TargetOptions _options;
    private readonly IPAddress _address;
    private readonly TargetStats _stats = new();
    private readonly ConnectionRegistry _connections = new();
    private readonly SessionStore _sessions;
    private readonly WebSocketEndpoint _endpoint;
    private readonly SignalRHost _signalR;
    private readonly WebApplication _app;
    private readonly Lock _stopGate = new();
    private Task? _stopTask;
    private int _disposed;

    private ReferenceTarget(TargetOptions options, IPAddress address)
    {
        _options = options;
        _address = address;
        var verifier = options.AuthAlgorithm is { } algorithm && options.AuthKey is { } key
            ? new JwtVerifier(algorithm, key, options.AuthClockSkew)
            : null;
        _sessions = new SessionStore(options, _stats, [new AuthRefreshExtension(verifier, _stats)]);
        _endpoint = new WebSocketEndpoint(options, _stats, _sessions, _connections, verifier);
        _signalR = new SignalRHost(options, verifier);
        _app = BuildApp();
        WebSocketUri = BaseUri = HubUri = new Uri("http://127.0.0.1/");
    }

    /// <summary>ws://HOST:PORT/PATH with the port actually bound.</summary>
    public Uri WebSocketUri { get; private set; }

    /// <summary>http://HOST:PORT/HUBPATH, the SignalR hub (negotiate at HUBPATH/negotiate).</summary>
    public Uri HubUri { get; private set; }

    /// <summary>http://HOST:PORT/ (stats, metrics, health).</summary>
    public Uri BaseUri { get; private set; }

    /// <summary>Validates <paramref name="options"/> (ArgumentException listing every error), binds and starts serving.</summary>
    public static async Task<ReferenceTarget> StartAsync(TargetOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid target options:" + Environment.NewLine + string.Join(Environment.NewLine, errors), nameof(options));
        }

        TargetOptions.TryParseHost(options.Host, out var address);
        var target = new ReferenceTarget(options, address);
        try
        {
            await target._app.StartAsync(ct).ConfigureAwait(false);
            target.ResolveUris();
        }
        catch
        {
            await target.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return target;
    }

    public TargetStatsSnapshot GetStats() => BuildSnapshot(forceGc: false);

    /// <summary>Graceful and bounded (about 4 s at most): refuses new handshakes, closes open sockets with 1001, then stops Kestrel.</summary>
    public Task StopAsync()
    {
        lock (_stopGate)
        {
            return _stopTask ??= StopCoreAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StopCoreAsync()
    {
        _endpoint.StopAccepting();
        await _sessions.DisposeAsync().ConfigureAwait(false);
        await _connections.CloseAllAsync(1001, "server shutting down", CloseAllTimeout).ConfigureAwait(false);
        _connections.AbortAll();

        using var cts = new CancellationTokenSource(HostStopTimeout);
        try
        {
            await _app.StopAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Listen backlog; Linux caps it at net.core.somaxconn (4096 by default).</summary>
    private const int AcceptBacklog = 4096;

    private WebApplication BuildApp()
    {
        // The empty builder reads no appsettings.json or ASPNETCORE_* variables: the CLI's options are the only input.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(ReferenceTarget).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore();
        // A connection storm (thousands of clients in one second) overflows Kestrel's default accept backlog of
        // 512: the kernel drops SYNs and clients see handshake timeouts that are the target's queue, not its logic.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(o => o.Backlog = AcceptBacklog);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A client that sends its upgrade request slowly, or nothing at all, is dropped after this long (Kestrel
            // answers 408); the 100-header and 32 KB header limits (431) are Kestrel's defaults.
            kestrel.Limits.RequestHeadersTimeout = _options.HandshakeTimeout;
            kestrel.Limits.KeepAliveTimeout = _options.HandshakeTimeout;
            kestrel.Listen(_address, _options.Port);
        });

        // Warnings only, and on stderr, so the CLI's own output stays clean.
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        _signalR.AddServices(builder.Services);

        var app = builder.Build();
        app.Use(_endpoint.ObserveUpgradeAsync);
        app.UseWebSockets(new WebSocketOptions
        {
            KeepAliveInterval = _options.HeartbeatInterval,
            KeepAliveTimeout = _options.HeartbeatTimeout,
        });
        _signalR.Map(app);
        app.Run(DispatchAsync);
        return app;
    }

    private Task DispatchAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.Equals(_options.Path, StringComparison.OrdinalIgnoreCase))
        {
            return _endpoint.HandleAsync(context);
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }

        switch (path.Value)
        {
            case "/stats":
                var query = context.Request.Query["gc"].ToString();
                var snapshot = BuildSnapshot(forceGc: query is "1" or "true");
                context.Response.ContentType = "application/json; charset=utf-8";
                return context.Response.WriteAsync(snapshot.ToJson());

            case "/metrics":
                context.Response.ContentType = PrometheusWriter.ContentType;
                return context.Response.WriteAsync(PrometheusWriter.Write(BuildSnapshot(forceGc: false)));

            case "/health":
                context.Response.ContentType = "text/plain; charset=utf-8";
                return context.Response.WriteAsync("ok");

            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
        }
    }

    private void ResolveUris()
    {
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var bound = addresses?.Select(a => new Uri(a)).FirstOrDefault();
        var port = bound?.Port ?? _options.Port;

        // A wildcard bind is reached locally through loopback; IPv6 literals need brackets in a URI.
        var host = _address.Equals(IPAddress.Any) || _address.Equals(IPAddress.IPv6Any)
            ? "127.0.0.1"
            : _address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{_address}]" : _address.ToString();

        BaseUri = new Uri($"http://{host}:{port}/");
        WebSocketUri = new Uri($"ws://{host}:{port}{_options.Path}");
        HubUri = new Uri($"http://{host}:{port}{_options.SignalR.Path}");
    }

    private TargetStatsSnapshot BuildSnapshot(bool forceGc)
    {
        var s = _stats;
        var hub = _signalR.Snapshot();
        return new TargetStatsSnapshot
        {
            // Hub connections too: a reader waits for this to reach 0 before it trusts the counts, and the hub counts an
            // invocation only once it dispatched it, which can be after the socket closed.
            OpenConnections = Interlocked.Read(ref s.OpenConnections) + hub.Open,
            Upgrades = Interlocked.Read(ref s.Upgrades),
            RejectedHandshakes = Interlocked.Read(ref s.RejectedHandshakes),
            MessagesIn = Interlocked.Read(ref s.MessagesIn),
            MessagesOut = Interlocked.Read(ref s.MessagesOut),
            BytesIn = Interlocked.Read(ref s.BytesIn),
            BytesOut = Interlocked.Read(ref s.BytesOut),
            Closes = new TargetCloseStats
            {
                ByCode = s.ByCode,
                ServerInitiated = s.ServerInitiated,
                ClientInitiated = s.ClientInitiated,
                Aborted = Interlocked.Read(ref s.Aborted),
            },
            Sessions = new TargetSessionStats
            {
                Active = Interlocked.Read(ref s.SessionsActive),
                Created = Interlocked.Read(ref s.SessionsCreated),
                Resumed = Interlocked.Read(ref s.SessionsResumed),
                Expired = Interlocked.Read(ref s.SessionsExpired),
                Forgotten = Interlocked.Read(ref s.SessionsForgotten),
                ReplayedMessages = Interlocked.Read(ref s.ReplayedMessages),
                DuplicatesDropped = Interlocked.Read(ref s.DuplicatesDropped),
                SessionBufferOverflows = Interlocked.Read(ref s.SessionBufferOverflows),
                Superseded = Interlocked.Read(ref s.Superseded),
                InvalidMessages = Interlocked.Read(ref s.InvalidMessages),
                UnknownTypes = Interlocked.Read(ref s.UnknownTypes),
                PushedMessages = Interlocked.Read(ref s.PushedMessages),
            },
            Auth = new TargetAuthStats
            {
                RejectedHandshakes = Interlocked.Read(ref s.AuthRejectedHandshakes),
                Refreshes = Interlocked.Read(ref s.TokenRefreshes),
                RefreshesRejected = Interlocked.Read(ref s.TokenRefreshesRejected),
                ExpiredCloses = Interlocked.Read(ref s.ExpiredCloses),
            },
            SignalR = hub,
            SourceAddresses = s.SourceAddresses,
            Process = ProcessMetrics.Read(forceGc),
            UptimeSeconds = Math.Round((DateTimeOffset.UtcNow - s.StartedAt).TotalSeconds, 3),
            Options = new TargetOptionsSummary
            {
                HeartbeatIntervalMs = _options.HeartbeatInterval.TotalMilliseconds,
                HeartbeatTimeoutMs = _options.HeartbeatTimeout.TotalMilliseconds,
                MaxMessageSize = _options.MaxMessageSize,
                EchoDelayMs = _options.EchoDelay.TotalMilliseconds,
                PushRate = _options.PushRate,
                SessionResumeWindowMs = _options.SessionResumeWindow.TotalMilliseconds,
                SessionBufferLimit = _options.SessionBufferLimit,
                AuthAlgorithm = _options.AuthKey is null ? null : _options.AuthAlgorithm,
                AuthClockSkewMs = _options.AuthClockSkew.TotalMilliseconds,
                AuthEnforceExpiry = _options.AuthEnforceExpiry,
            },
        };
    }
}
