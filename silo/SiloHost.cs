using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using SimCluster.Grains;
using SimCluster.Grains.Metrics;

namespace SimCluster.Silo;

/// <summary>
/// Builds SimCluster silos. <see cref="BuildServer"/> is the standalone silo (`simcluster silo`): ASP.NET
/// Core with the Orleans dashboard, health endpoints and the control API on one HTTP port.
/// <see cref="BuildEmbedded"/> is the silo inside a `simcluster run` process: no HTTP, free loopback ports.
/// </summary>
public static class SiloHost
{
    public static WebApplication BuildServer(SiloOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));

        var builder = WebApplication.CreateSlimBuilder();
        QuietLogging(builder.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = SiloOptions.ShutdownTimeout);
        if (options.HttpPort > 0)
            builder.WebHost.ConfigureKestrel(k => k.Listen(options.HttpAddress!, options.HttpPort));
        else
            builder.Services.AddSingleton<Microsoft.AspNetCore.Hosting.Server.IServer, NoHttpServer>();
        builder.UseOrleans(silo =>
        {
            ConfigureCluster(silo, options);
            if (options.SiloName is { } name) silo.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = name);
            // Inside Kubernetes only (KUBERNETES_SERVICE_HOST), when asked for: it needs a Role on pods.
            // It reads POD_NAME, POD_NAMESPACE and POD_IP itself; POD_NAMESPACE is required.
            if (options.KubernetesHosting) silo.UseKubernetesHosting();
            silo.AddDashboard();
            silo.Services.AddSimClusterGrains();
            silo.Services.AddSiloDrain(); // SIGTERM hands this silo's clients and final numbers over first
        });

        // The run's metrics for Prometheus (GET /metrics, behind the token like the rest): OpenTelemetry
        // reads the silo's recorders through SiloMeter's observable instruments at scrape time.
        // service.name and the silo as the resource (Prometheus: target_info); each series also carries run, scenario,
        // group and silo, because one silo process runs many runs one after another.
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("simcluster", serviceVersion: typeof(SiloHost).Assembly.GetName().Version?.ToString(),
                    serviceInstanceId: options.SiloName ?? $"{options.AdvertisedAddress}:{options.SiloPort}")
                .AddAttributes([new("simcluster.silo", options.SiloName ?? $"{options.AdvertisedAddress}:{options.SiloPort}"), new("simcluster.cluster", options.ClusterId)]))
            .WithMetrics(metrics => metrics.AddMeter(SiloMeter.MeterWildcard).AddView(RunSeries).AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

        var app = builder.Build();
        var ready = false;
        app.Lifetime.ApplicationStarted.Register(() => ready = true); // after Orleans' hosted service: the silo is active
        app.Lifetime.ApplicationStarted.Register(() => WarnAboutOpenFileLimit(app.Logger));
        app.Lifetime.ApplicationStopping.Register(() => ready = false);
        if (options.Token is { } token) app.Use(RequireToken(token));
        app.MapGet("/health/live", () => Results.Ok("live"));
        app.MapGet("/health/startup", () => ready ? Results.Ok("started") : Results.StatusCode(503));
        app.MapGet("/health/ready", () => ready ? Results.Ok("ready") : Results.StatusCode(503));
        app.MapGet("/debug/heap", Heap);
        app.Use(LinkRunsFromDashboard);
        app.MapOrleansDashboard("/dashboard");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    /// <summary>
    /// Each run meter's streams sized for its groups (one series per group: tags run, scenario, group, silo), not
    /// OpenTelemetry's default of 2,000 points per instrument: a finished run's disposed meter keeps its streams
    /// until the next collection, so a silo nobody scrapes would otherwise hold every finished run's points.
    /// </summary>
    private static MetricStreamConfiguration? RunSeries(System.Diagnostics.Metrics.Instrument instrument) =>
        SiloMeter.SeriesOf(instrument.Meter.Name) is not { } series ? null
        : instrument is System.Diagnostics.Metrics.Histogram<double>
            ? new ExplicitBucketHistogramConfiguration { Boundaries = [.. SiloMeter.BucketBounds], CardinalityLimit = series }
            : new MetricStreamConfiguration { CardinalityLimit = series };

    /// <summary>
    /// The managed heap after a full, compacting collection, and the runs whose state this silo still holds: what
    /// bench/silo-runs-heap.sh reads between runs. Loopback callers only (a forced collection pauses the silo).
    /// </summary>
    private static IResult Heap(HttpContext context, SiloMetrics metrics, Grains.Attacks.SiloCaseResults cases)
    {
        if (context.Connection.RemoteIpAddress is not { } peer || !IPAddress.IsLoopback(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer))
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return Results.Json(new
        {
            managedBytes = GC.GetTotalMemory(forceFullCollection: true),
            runsWithRecorders = metrics.Runs.Count,
            runsWithCaseResults = cases.Runs.Count,
        });
    }

    /// <summary>
    /// The stock Orleans dashboard knows nothing of SimCluster's runs: its page gets one link to the live run pages
    /// (<c>/runs</c>), added to the HTML as it is served. Everything else on /dashboard passes untouched.
    /// </summary>
    private static async Task LinkRunsFromDashboard(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value;
        if (!HttpMethods.IsGet(context.Request.Method) || path is not ("/dashboard" or "/dashboard/" or "/dashboard/index.html"))
        {
            await next(context);
            return;
        }
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        context.Request.Headers.AcceptEncoding = "identity"; // the page is rewritten as text
        try { await next(context); }
        finally { context.Response.Body = original; }
        var html = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        var end = html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
        if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true && end >= 0)
        {
            html = html.Insert(end, "<a href=\"/runs\" id=\"simcluster-runs\" style=\"position:fixed;right:16px;bottom:16px;z-index:9999;padding:8px 14px;" +
                "background:#2563eb;color:#fff;border-radius:6px;font:600 14px system-ui,sans-serif;text-decoration:none\">SimCluster live runs</a>");
            context.Response.ContentLength = null;
            await context.Response.WriteAsync(html);
        }
        else
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(original);
        }
    }

    /// <summary>How long `simcluster silo` waits to become an active member before it gives up with an error.</summary>
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The silo, gateway and HTTP ports that another process already holds, each named.</summary>
    public static IReadOnlyList<string> PortsInUse(SiloOptions options)
    {
        var errors = new List<string>();
        var ports = new List<(string Option, IPAddress Address, int Port)>
        {
            ("--silo-port", IPAddress.Any, options.SiloPort),
            ("--gateway-port", IPAddress.Any, options.GatewayPort),
        };
        if (options.HttpPort > 0 && options.HttpAddress is { } http) ports.Add(("--http-port", http, options.HttpPort));
        foreach (var (option, address, port) in ports)
        {
            try
            {
                using var probe = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(address, port));
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                errors.Add($"{option} {port} is already in use on this machine (another silo with the same ports?); pick a free port");
            }
            catch (System.Net.Sockets.SocketException e)
            {
                errors.Add($"{option} {port}: cannot listen on {address}: {e.Message}{(option == "--http-port" ? " (is --http-host an address of this machine?)" : "")}");
            }
        }
        return errors;
    }

    /// <summary>A start failure in words a user can act on (the exception's own text for anything unknown).</summary>
    public static string Explain(Exception e, string cluster)
    {
        if (e is PostgresClusteringException) return e.Message;
        if (e.GetBaseException() is Npgsql.NpgsqlException npgsql && PostgresClustering.IsPostgres(cluster))
        {
            try { return PostgresClustering.Parse(cluster, null, _ => null).Explain(npgsql); }
            catch (ArgumentException) { }
        }
        var message = SimCluster.Abstractions.Security.Secrets.Redact(e.GetBaseException().Message);
        if (cluster.StartsWith("redis://", StringComparison.Ordinal) && message.Contains("connect to the redis server", StringComparison.OrdinalIgnoreCase))
            return $"cannot reach Redis at {new Uri(cluster).Authority} (--cluster {SimCluster.Abstractions.Security.Secrets.Redact(cluster)}): is redis-server running there and reachable from this machine?";
        return message;
    }

    /// <summary>Name of the cookie a browser gets after opening the dashboard once with ?access_token=TOKEN.</summary>
    public const string TokenCookie = "simcluster_token";

    /// <summary>
    /// Everything but /health/* (probes carry no credentials) needs the token: an Authorization: Bearer
    /// header, or for a browser ?access_token= once, which sets an HttpOnly cookie for the dashboard's own calls.
    /// </summary>
    private static Func<HttpContext, RequestDelegate, Task> RequireToken(ApiToken token) => async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments("/health"))
        {
            await next(context);
            return;
        }
        var header = context.Request.Headers.Authorization.ToString();
        var bearer = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        var query = context.Request.Query["access_token"].ToString();
        if (token.Matches(bearer) || token.Matches(context.Request.Cookies[TokenCookie]))
        {
            await next(context);
            return;
        }
        if (token.Matches(query))
        {
            context.Response.Cookies.Append(TokenCookie, query, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsJsonAsync(new { error = "this silo requires its API token: send Authorization: Bearer TOKEN (simcluster run --api reads SIMCLUSTER_API_TOKEN or --api-token-file)" });
    };

    public static IHost BuildEmbedded(int siloPort, int gatewayPort)
    {
        var builder = Host.CreateApplicationBuilder();
        QuietLogging(builder.Logging);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "simcluster-embedded", clusterId: "embedded-" + Guid.NewGuid().ToString("N")[..8]);
            silo.Services.AddSimClusterGrains();
        });
        return builder.Build();
    }

    private static void ConfigureCluster(ISiloBuilder silo, SiloOptions options)
    {
        // The default directory loses the entries a dead silo held: calls to the coordinator or an agent on a
        // surviving silo could then create a second, empty activation. The distributed directory recovers its
        // partitions when membership changes, so a silo loss leaves the survivors' grains where they are.
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10; the 3-silo SIGKILL test (tests/Silo) exercises it
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        // Short-lived test clusters want a lost silo found in seconds, not Orleans' 10 to 15 s (5 s probes, 3 missed):
        // the run's clients on it are re-activated only once it is declared dead. Indirect probes stay on, so a silo
        // is declared dead only when another silo could not reach it either (docs/cluster.md: the trade-off).
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = options.ProbeTimeout;
            o.NumMissedProbesLimit = options.MissedProbes;
        });
        // Orleans' 30 s default lease kept a killed silo's clients from running again for 22 s after its death.
        silo.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = options.DirectoryRangeLease);
        if (options.PeerWatch) silo.Services.AddHostedService<PeerPortWatch>();
        if (options.Cluster == "localhost")
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort,
                primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, options.PrimarySiloPort),
                serviceId: options.ServiceId, clusterId: options.ClusterId);
            return;
        }
        if (PostgresClustering.IsPostgres(options.Cluster))
        {
            var postgres = options.Postgres;
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgresClustering.Invariant;
                o.ConnectionString = postgres.ConnectionString;
            });
        }
        else silo.UseRedisClustering(options.RedisConfiguration);
        silo.Configure<ClusterOptions>(c =>
        {
            c.ClusterId = options.ClusterId;
            c.ServiceId = options.ServiceId;
        });
        silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: options.AdvertisedAddress != "127.0.0.1");
    }

    /// <summary>
    /// Every simulated client holds a socket. .NET raises the soft open-file limit to the hard one at start;
    /// below ~20,000 a silo cannot hold the ~18,000 clients deploy/k8s sizes it for, so say so at once.
    /// </summary>
    private static void WarnAboutOpenFileLimit(ILogger logger)
    {
        if (OpenFileLimit() is { } limit && limit < 20_000)
            logger.LogWarning("open-file limit is {Limit}: this silo can hold about {Clients} clients; raise the container runtime's LimitNOFILE or run more silos",
                limit, Math.Max(0, limit - 2_000));
    }

    /// <summary>The soft "Max open files" of this process (Linux), or null when unknown.</summary>
    internal static long? OpenFileLimit()
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var fields = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 0 } && long.TryParse(fields[0], out var soft) ? soft : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static void QuietLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.SetMinimumLevel(LogLevel.Warning);
        // Orleans warns about things a load tool does on purpose (many local activations, long calls).
        logging.AddFilter("Orleans", LogLevel.Error);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Error);
    }
}
