using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SimCluster.Target;

/// <summary>
/// Wires the reference hub into the target's app: SignalR with the counting protocol and filter, the pusher,
/// and (when the target checks tokens) JwtBearer with the target's own key, the access_token query convention
/// for the hub's paths only, and CloseOnAuthenticationExpiration.
/// </summary>
internal sealed class SignalRHost(TargetOptions options, JwtVerifier? verifier)
{
    private readonly SignalRTargetOptions _hub = options.SignalR;

    public SignalRStats Stats { get; } = new();

    public bool AuthOn => verifier is not null;

    public TargetSignalRStats Snapshot() => Stats.Snapshot(_hub, AuthOn, options.AuthEnforceExpiry);

    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton(Stats);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(_hub);
        services.AddSingleton<HubPusher>();
        services.AddSingleton<CountingHubFilter>();
        services.AddRouting();
        services.Configure<ConnectionOptions>(o => o.DisconnectTimeout = _hub.ReconnectWindow);
        services.AddSignalR(o =>
        {
            o.KeepAliveInterval = _hub.KeepAliveInterval;
            o.ClientTimeoutInterval = _hub.ClientTimeout;
            o.StatefulReconnectBufferSize = _hub.StatefulReconnectBufferSize;
            o.EnableDetailedErrors = false;
            o.AddFilter<CountingHubFilter>();
        });

        // JSON only, counted on the wire (AddSignalR registers the plain JsonHubProtocol).
        services.RemoveAll<IHubProtocol>();
        services.AddSingleton<IHubProtocol>(sp => new CountingHubProtocol(
            new JsonHubProtocol(sp.GetRequiredService<IOptions<JsonHubProtocolOptions>>()), Stats));

        if (verifier is null)
        {
            return;
        }

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.TokenValidationParameters = verifier.Parameters;
            jwt.MapInboundClaims = false;
            jwt.RequireHttpsMetadata = false;
            jwt.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    // The hub only: the /ws endpoint checks its own tokens (?token=, Authorization) and counts them apart.
                    if (!context.Request.Path.StartsWithSegments(_hub.Path, StringComparison.OrdinalIgnoreCase))
                    {
                        context.NoResult();
                        return Task.CompletedTask;
                    }

                    // SignalR's convention: browsers cannot set headers on a WebSocket, so the token rides in the query.
                    if (context.Request.Query["access_token"].ToString() is { Length: > 0 } token)
                    {
                        context.Token = token;
                    }

                    return Task.CompletedTask;
                },
                OnTokenValidated = _ =>
                {
                    Interlocked.Increment(ref Stats.TokensAccepted);
                    return Task.CompletedTask;
                },
                OnAuthenticationFailed = _ =>
                {
                    Interlocked.Increment(ref Stats.TokensRefused);
                    return Task.CompletedTask;
                },
                OnChallenge = _ =>
                {
                    Interlocked.Increment(ref Stats.Unauthorized);
                    return Task.CompletedTask;
                },
            };
        });
        services.AddAuthorization();
    }

    /// <summary>Adds routing, auth and the hub endpoint to the pipeline; requests that match no endpoint fall through.</summary>
    public void Map(WebApplication app)
    {
        app.UseRouting();
        if (verifier is not null)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        app.UseEndpoints(endpoints =>
        {
            var hub = endpoints.MapHub<ReferenceHub>(_hub.Path, o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.AllowStatefulReconnects = _hub.StatefulReconnect;
                o.CloseOnAuthenticationExpiration = verifier is not null && options.AuthEnforceExpiry;
            });
            if (verifier is not null)
            {
                hub.RequireAuthorization();
            }
        });

        app.Services.GetRequiredService<HubPusher>().Start(app.Services.GetRequiredService<IHubContext<ReferenceHub>>());
    }
}
