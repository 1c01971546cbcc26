using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// ASP.NET Core's own SignalR hub, misconfigured the way real ones are: it throws in OnConnectedAsync (the hub then
/// sends a close message with an error), or, with <c>refuseHandshake</c>, its JSON protocol supports no version a
/// client asks for (a hub on a framework that dropped it), so it answers every handshake with SignalR's own error. It counts its OnConnectedAsync calls and the WebSocket upgrades it took itself.
/// </summary>
internal sealed class BrokenHub : IAsyncDisposable
{
    private WebApplication _app = null!;

    public long Connected;

    public long Upgrades;

    public Uri HubUri { get; private set; } = null!;

    public static async Task<BrokenHub> StartAsync(bool refuseHandshake = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSignalR(o => o.EnableDetailedErrors = false);
        if (refuseHandshake)
        {
            // The hub answers {"protocol":"json","version":N} with "The server does not support version N of the 'json' protocol."
            builder.Services.RemoveAll<IHubProtocol>();
            builder.Services.AddSingleton<IHubProtocol>(sp => new NoVersionJson(new JsonHubProtocol(sp.GetRequiredService<IOptions<JsonHubProtocolOptions>>())));
        }
        var hub = new BrokenHub();
        builder.Services.AddSingleton(hub);
        var app = hub._app = builder.Build();
        app.Use((context, next) =>
        {
            if (string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase)) Interlocked.Increment(ref hub.Upgrades);
            return next(context);
        });
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

    /// <summary>SignalR's JSON protocol that supports no version at all.</summary>
    private sealed class NoVersionJson(IHubProtocol inner) : IHubProtocol
    {
        public string Name => inner.Name;

        public int Version => inner.Version;

        public TransferFormat TransferFormat => inner.TransferFormat;

        public bool IsVersionSupported(int version) => false;

        public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
            inner.TryParseMessage(ref input, binder, out message);

        public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

        public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);
    }
}
