using Microsoft.AspNetCore.SignalR;

namespace SimCluster.Target;

/// <summary>
/// The reference hub. Echo returns its argument (any JSON value); an unknown method gets SignalR's own error
/// completion. Pushes come from <see cref="HubPusher"/>; the counting lives in <see cref="CountingHubFilter"/>
/// and <see cref="CountingHubProtocol"/>, so the hub itself is what an application would write.
/// </summary>
internal sealed class ReferenceHub : Hub
{
    /// <summary>Name of the server-to-client invocation the pusher sends.</summary>
    public const string PushTarget = "push";

    public object? Echo(object? value) => value;
}

/// <summary>The argument of a <c>push</c> invocation: a per-connection sequence from 1, and the send time in Unix ms.</summary>
internal sealed record PushMessage(long Seq, long Ts);
