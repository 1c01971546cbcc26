using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SimCluster.Cli.Api;

/// <summary>
/// `simcluster run --dashboard [PORT]` for an embedded run: the live run page on a loopback port of the run's own
/// process (127.0.0.1 only: it needs no token because nothing off this machine can reach it). Off by default.
/// </summary>
public sealed class LiveDashboard : IAsyncDisposable
{
    /// <summary>How long a finished run's process waits for a watching page to fetch the final report.</summary>
    private static readonly TimeSpan FinalGrace = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly LivePages.LiveAudience _audience;

    private LiveDashboard(WebApplication app, LivePages.LiveAudience audience, string baseUrl)
    {
        _app = app;
        _audience = audience;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <param name="port">0: a free port.</param>
    public static async Task<LiveDashboard> StartAsync(IGrainFactory grains, int port, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var audience = new LivePages.LiveAudience();
        LivePages.Map(app, grains, audience);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new ArgumentException($"--dashboard {port}: cannot listen on 127.0.0.1:{port} ({e.GetBaseException().Message}); pick a free port or leave the port out", e);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LiveDashboard(app, audience, address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
    }

    public string PageUrl(string runId) => LivePages.PageUrl(BaseUrl, runId);

    public async ValueTask DisposeAsync()
    {
        // A page that watched the run gets to show the final report before the process (and the page's server) ends.
        if (_audience.Watching) await Task.WhenAny(_audience.FinalServed, Task.Delay(FinalGrace));
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
