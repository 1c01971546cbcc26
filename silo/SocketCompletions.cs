namespace SimCluster.Silo;

/// <summary>
/// In a process that hosts simulated clients (<c>simcluster run</c>, <c>simcluster silo</c>), socket completions run on
/// the runtime's socket engine thread, not on a thread-pool worker woken for each one. Per echo that saves a thread
/// wake-up and a context switch: at 10,000 clients the tool's CPU fell from 33-38 % to 24-28 % of a core and its
/// context switches from 27,000 to 13,000 a second (docs/benchmarks.md, "Fewer thread hand-offs per message").
/// <para>
/// What runs there must be short: a message's receive and its books. Longer work leaves that thread on its own: a
/// connect's handshake (HTTP upgrade, TLS) continues on the pool (<c>SocketOpener</c>, <c>FaultStream</c>), a flood
/// of reads yields every 64 reads, and client state changes are posted to the client's turn.
/// </para>
/// The runtime reads the switch once, when its socket engine starts, so this runs before the process's first socket
/// operation. A value already in the environment (<c>0</c> to keep completions on the pool) is left alone.
/// </summary>
public static class SocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void RunOnEngineThreadUnlessSet()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null) Environment.SetEnvironmentVariable(Variable, "1");
    }
}
