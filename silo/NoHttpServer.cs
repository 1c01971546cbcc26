using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace SimCluster.Silo;

/// <summary>
/// The server behind <c>--http-port 0</c>: the silo keeps its web host (health, API and dashboard are mapped)
/// but listens nowhere. Kestrel with no endpoint would bind http://localhost:5000 on its own, so a second
/// silo on the same machine would fail with "address already in use".
/// </summary>
internal sealed class NoHttpServer : IServer
{
    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() { }
}
