using System.Runtime.InteropServices;

namespace SimCluster.Tests.Support;

/// <summary>POSIX signals to a test's child processes, by pid (kill(2)).</summary>
internal static class Signals
{
    public const int HangUp = 1;
    public const int Interrupt = 2;
    public const int Quit = 3;
    public const int Kill = 9;
    public const int Terminate = 15;
    public const int Continue = 18;
    public const int Stop = 19;

    private static readonly Dictionary<string, int> ByName = new(StringComparer.Ordinal)
    {
        ["HUP"] = HangUp, ["INT"] = Interrupt, ["QUIT"] = Quit, ["KILL"] = Kill, ["TERM"] = Terminate, ["CONT"] = Continue, ["STOP"] = Stop,
    };

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when no such process is left.</summary>
    public static bool Send(int pid, int signal) => KillSyscall(pid, signal) == 0;

    /// <summary>Like <see cref="Send(int, int)"/>, by the name <c>kill -NAME</c> takes (<c>TERM</c>, <c>STOP</c>, ...).</summary>
    public static bool Send(int pid, string name) => Send(pid, ByName.TryGetValue(name, out var signal) ? signal : throw new ArgumentException($"no signal {name}", nameof(name)));

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in the test project
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int KillSyscall(int pid, int signal);
#pragma warning restore SYSLIB1054
}

/// <summary>
/// Throttles a process the way a CPU quota does (a Kubernetes CPU limit, the CFS bandwidth controller): it runs for
/// <c>running</c> of every period and is stopped (SIGSTOP) for the rest. Starves a process without burning a core.
/// </summary>
internal sealed class CpuThrottle : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private CpuThrottle(int pid, TimeSpan running, TimeSpan stopped)
    {
        _pid = pid;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested && Signals.Send(pid, Signals.Continue))
            {
                try
                {
                    await Task.Delay(running, _stop.Token);
                    if (!Signals.Send(pid, Signals.Stop)) return;
                    await Task.Delay(stopped, _stop.Token);
                }
                catch (OperationCanceledException) { return; }
            }
        });
    }

    public static CpuThrottle Start(int pid, TimeSpan running, TimeSpan stopped) => new(pid, running, stopped);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Signals.Send(_pid, Signals.Continue); // never left stopped
        _stop.Dispose();
    }
}
