using Microsoft.AspNetCore.Connections.Abstractions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;

namespace SimCluster.Target;

/// <summary>
/// The hub's ground truth at the application level: connections and their ends by cause, invocations that reached
/// a method, and the stateful reconnects each connection went through. Also hands connections to the pusher.
/// </summary>
internal sealed class CountingHubFilter(SignalRStats stats, HubPusher pusher, TimeProvider time) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        Interlocked.Increment(ref stats.Invocations);
        stats.RecordInvocation(context.Context.GetHttpContext()?.Request.Headers.UserAgent.ToString());
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Increment(ref stats.MethodErrors);
            throw;
        }
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context).ConfigureAwait(false);
        Interlocked.Increment(ref stats.Connections);
        Interlocked.Increment(ref stats.Open);
        // Present only when this connection negotiated stateful reconnect; called once per reconnect. The feature is
        // marked preview (CA2252) though stateful reconnect itself is supported since ASP.NET Core 8; it is the only
        // place the framework tells a hub that a reconnect happened.
#pragma warning disable CA2252
        context.Context.Features.Get<IStatefulReconnectFeature>()?.OnReconnected(_ =>
        {
            Interlocked.Increment(ref stats.StatefulReconnects);
            return Task.CompletedTask;
        });
#pragma warning restore CA2252
        pusher.Add(context.Context.ConnectionId);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        pusher.Remove(context.Context.ConnectionId);
        Interlocked.Decrement(ref stats.Open);
        stats.RecordDisconnect(Cause(context.Context, exception));
        await next(context, exception).ConfigureAwait(false);
    }

    private string Cause(HubCallerContext connection, Exception? exception)
    {
        // SignalR reports a client timeout as this exception (HubConnectionContext.CheckClientTimeout) and nothing else.
        if (exception is OperationCanceledException && exception.Message.Contains("ClientTimeoutInterval", StringComparison.Ordinal))
        {
            return SignalRStats.CauseClientTimeout;
        }

        // CloseOnAuthenticationExpiration ends the connection without saying why; a token already past its exp does.
        if (ExpiresAt(connection) is { } exp && exp <= time.GetUtcNow())
        {
            return SignalRStats.CauseAuthExpired;
        }

        return exception is null ? SignalRStats.CauseClosed : SignalRStats.CauseError;
    }

    private static DateTimeOffset? ExpiresAt(HubCallerContext connection) =>
        connection.User?.FindFirst("exp")?.Value is { } text && long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
}
