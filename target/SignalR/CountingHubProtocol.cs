using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace SimCluster.Target;

/// <summary>
/// SignalR's JSON hub protocol with counting on the wire: invocations and pings parsed, completions written.
/// A message is serialized once however often stateful reconnect replays it, so completions are counted once.
/// </summary>
internal sealed class CountingHubProtocol(IHubProtocol inner, SignalRStats stats) : IHubProtocol
{
    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HubMessage? message)
    {
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }

        switch (message)
        {
            // An invocation of a method the hub does not have arrives as a binding failure (answered with an error completion).
            case InvocationMessage or InvocationBindingFailureMessage:
                Interlocked.Increment(ref stats.InvocationsReceived);
                break;
            case PingMessage:
                Interlocked.Increment(ref stats.PingsReceived);
                break;
        }

        return true;
    }

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
    {
        Count(message);
        inner.WriteMessage(message, output);
    }

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message)
    {
        Count(message);
        return inner.GetMessageBytes(message);
    }

    private void Count(HubMessage message)
    {
        if (message is CompletionMessage completion)
        {
            Interlocked.Increment(ref stats.Completions);
            if (completion.Error is not null)
            {
                Interlocked.Increment(ref stats.CompletionErrors);
            }
        }
    }
}
