using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using SimCluster.Silo;

namespace SimCluster.Cli.Runs;

/// <summary>
/// Where a run executes: an embedded silo in this process (no <c>--cluster</c>), a silo already running on
/// this machine (<c>localhost</c>), or a cluster whose membership lives in Redis (<c>redis://HOST:PORT</c>) or
/// PostgreSQL (<c>postgres://USER@HOST:PORT/DATABASE</c>, ADO.NET clustering).
/// </summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterConnection(IHost host, string description)
    {
        _host = host;
        Description = description;
    }

    /// <summary>How often the CLI re-reads the live gateways from membership (Orleans' default: 1 minute; <c>--gateway-refresh</c>).</summary>
    public static readonly TimeSpan DefaultGatewayListRefreshPeriod = TimeSpan.FromSeconds(2);

    /// <summary>How long a call may go unanswered before it fails (Orleans' default: 30 s; <c>--response-timeout</c>); the driver's own calls wait 10 s.</summary>
    public static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(15);

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public string Description { get; }

    /// <summary>How long `run --cluster` waits for a silo to join before it gives up (<c>--cluster-wait</c>).</summary>
    public static readonly TimeSpan DefaultJoinWait = TimeSpan.FromSeconds(30);

    /// <param name="passwordFile">PostgreSQL clustering: the password's file when the URL has none (else PGPASSWORD).</param>
    /// <param name="joinWait">How long to keep looking for a silo's gateway in the membership table (default <see cref="DefaultJoinWait"/>).</param>
    /// <param name="responseTimeout">The client's response timeout (default <see cref="DefaultResponseTimeout"/>).</param>
    /// <param name="gatewayListRefreshPeriod">How often the client re-reads the live gateways (default <see cref="DefaultGatewayListRefreshPeriod"/>).</param>
    public static async Task<ClusterConnection> ConnectAsync(string? cluster, CancellationToken ct, string? passwordFile = null, TimeSpan? joinWait = null,
        TimeSpan? responseTimeout = null, TimeSpan? gatewayListRefreshPeriod = null)
    {
        var wait = joinWait ?? DefaultJoinWait;
        if (string.IsNullOrEmpty(cluster) || cluster == "embedded") return await StartEmbeddedAsync(wait + TimeSpan.FromSeconds(15), ct);
        // PostgreSQL: the server and the schema are checked first, so a wrong address or a missing
        // `simcluster db init` is named at once instead of surfacing as an Orleans gateway timeout.
        PostgresClustering? postgres = null;
        if (PostgresClustering.IsPostgres(cluster))
        {
            postgres = PostgresClustering.Parse(cluster, passwordFile, Environment.GetEnvironmentVariable);
            try { await postgres.CheckAsync(ct); }
            catch (PostgresClusteringException e) { throw new ClusterUnreachableException(e.Message, e); }
        }
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // The host's own "Hosting failed to start" and its stack trace: the failure is explained below instead.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Error)
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None)
            // A gateway refresh that fails (the membership store briefly unreachable) keeps the gateways the client
            // has: the run goes on, and a stack trace every refresh period would only bury its progress.
            .AddFilter("Orleans.Messaging.GatewayManager", LogLevel.None);
        var retry = new JoinRetry(TimeProvider.System.GetUtcNow() + wait, TimeProvider.System);
        builder.UseOrleansClient(client =>
        {
            client.Services.AddSingleton<IClientConnectionRetryFilter>(retry);
            if (cluster == "localhost")
            {
                client.UseLocalhostClustering(SimCluster.Silo.SiloOptions.DefaultGatewayPort, serviceId: "simcluster", clusterId: "simcluster");
            }
            else if (postgres is not null)
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = PostgresClustering.Invariant;
                    o.ConnectionString = postgres.ConnectionString;
                });
                client.Configure<ClusterOptions>(o => { o.ClusterId = "simcluster"; o.ServiceId = "simcluster"; });
            }
            else if (cluster.StartsWith("redis://", StringComparison.Ordinal) && Uri.TryCreate(cluster, UriKind.Absolute, out var redis))
            {
                client.UseRedisClustering(redis.Authority);
                client.Configure<ClusterOptions>(o => { o.ClusterId = "simcluster"; o.ServiceId = "simcluster"; });
            }
            else
            {
                throw new ArgumentException(SpecError(cluster) ?? cluster);
            }
            // A gateway that died is only dropped from the client's list when the list is refreshed (every minute by
            // default), and a call it swallowed only fails after the response timeout (30 s): a run's driver asking
            // for progress every second must move to a live gateway within seconds of a silo's loss.
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = gatewayListRefreshPeriod ?? DefaultGatewayListRefreshPeriod);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = responseTimeout ?? DefaultResponseTimeout);
        });
        var host = builder.Build();
        var description = $"cluster {postgres?.Display ?? SimCluster.Abstractions.Security.Secrets.Redact(cluster)}";

        // The retry filter ends the wait; this bound only catches a start that hangs inside one attempt.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait + TimeSpan.FromSeconds(15));
        try
        {
            await host.StartAsync(timeout.Token);
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            host.Dispose();
            if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
            var cause = retry.Last ?? e;
            throw new ClusterUnreachableException(retry.Last is SiloUnavailableException
                ? $"no silo has joined {description} within {wait.TotalSeconds:0.###} s (its membership table lists no gateway): start one with `./simcluster silo --cluster {SimCluster.Abstractions.Security.Secrets.Redact(cluster)}`, or wait longer with --cluster-wait"
                : $"could not reach {description} within {wait.TotalSeconds:0.###} s: {SiloHost.Explain(cause, cluster)}", e);
        }
        return new ClusterConnection(host, description);
    }

    /// <summary>Why a --cluster value names no cluster this build can join; null when it does (checked before anything starts).</summary>
    public static string? SpecError(string? cluster) =>
        string.IsNullOrEmpty(cluster) || cluster is "embedded" or "localhost" || PostgresClustering.IsPostgres(cluster)
        || (cluster.StartsWith("redis://", StringComparison.Ordinal) && Uri.TryCreate(cluster, UriKind.Absolute, out _))
            ? null
            : $"--cluster: '{SimCluster.Abstractions.Security.Secrets.Redact(cluster)}' is not 'localhost', 'redis://HOST:PORT' or 'postgres://USER@HOST:PORT/DATABASE'";

    /// <summary>
    /// The embedded silo on two loopback ports free a moment ago. Another process may take one of them before the silo
    /// binds it (many runs starting on one machine, as in a test suite): the start is then tried again on fresh ports.
    /// </summary>
    /// <param name="freePort">Where the ports come from (<see cref="FreeLoopbackPort"/>; a test hands out taken ones).</param>
    internal static async Task<ClusterConnection> StartEmbeddedAsync(TimeSpan bound, CancellationToken ct, Func<int>? freePort = null)
    {
        freePort ??= FreeLoopbackPort;
        for (var attempt = 1; ; attempt++)
        {
            var host = SiloHost.BuildEmbedded(freePort(), freePort());
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(bound); // a start that hangs
            try
            {
                await host.StartAsync(timeout.Token);
                return new ClusterConnection(host, "embedded silo");
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                host.Dispose();
                if (attempt < EmbeddedStartAttempts && IsPortTaken(e)) continue;
                throw new ClusterUnreachableException($"could not start the embedded silo within {bound.TotalSeconds:0} s: {SiloHost.Explain(e, "")}", e);
            }
            catch (Exception)
            {
                host.Dispose();
                throw new OperationCanceledException(ct);
            }
        }
    }

    internal const int EmbeddedStartAttempts = 3;

    private static bool IsPortTaken(Exception e) =>
        e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
        || (e.InnerException is { } inner && IsPortTaken(inner))
        || (e is AggregateException all && all.InnerExceptions.Any(IsPortTaken));

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await _host.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        _host.Dispose();
    }
}

/// <summary>
/// Retries the client's connection (no gateway listed yet, a membership store not answering) once a second
/// until the deadline, keeping the last failure so the error can say which it was.
/// </summary>
internal sealed class JoinRetry(DateTimeOffset deadline, TimeProvider time) : IClientConnectionRetryFilter
{
    public Exception? Last { get; private set; }

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        Last = exception;
        var left = deadline - time.GetUtcNow();
        if (left <= TimeSpan.Zero || cancellationToken.IsCancellationRequested) return false;
        await Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), time, cancellationToken);
        return true;
    }
}

/// <summary>The cluster named by --cluster could not be reached; the message says what to check.</summary>
public sealed class ClusterUnreachableException(string message, Exception inner) : InvalidOperationException(message, inner);
