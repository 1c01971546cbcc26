using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// ASP.NET Core's own SignalR hub, misconfigured the way real ones are: it throws in OnConnectedAsync (the hub then
/// sends a close message with an error). It counts its OnConnectedAsync calls itself.
/// </summary>
internal sealed class BrokenHub : IAsyncDisposable
{
    private WebApplication _app = null!;

    public long Connected;

    public Uri HubUri { get; private set; } = null!;

    public static async Task<BrokenHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSignalR(o => o.EnableDetailedErrors = false);
        var hub = new BrokenHub();
        builder.Services.AddSingleton(hub);
        var app = hub._app = builder.Build();
        app.MapHub<Hub>("/hub", o => o.Transports = HttpTransportType.WebSockets);
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        hub.HubUri = new Uri($"ws://127.0.0.1:{address.Port}/hub");
        return hub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The hub: every OnConnectedAsync throws.</summary>
    internal sealed class Hub(BrokenHub owner) : Microsoft.AspNetCore.SignalR.Hub
    {
        public override Task OnConnectedAsync()
        {
            Interlocked.Increment(ref owner.Connected);
            throw new InvalidOperationException("this hub refuses every connection");
        }

        public object? Echo(object? value) => value;
    }
}
