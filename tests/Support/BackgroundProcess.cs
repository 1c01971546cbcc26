using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SimCluster.Tests.Support;

/// <summary>
/// A server-like child process a test keeps running beside others (redis-server, a silo, a CLI run): its
/// output is kept, a line can be awaited, and disposing it kills whatever is left of its process tree.
/// </summary>
internal sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

    private BackgroundProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <param name="keepInputOpen">For peers that stop when their stdin closes (tests/peers): <see cref="CloseInput"/> stops them.</param>
    public static BackgroundProcess Start(string name, ProcessStartInfo info, bool keepInputOpen = false)
    {
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new BackgroundProcess(process, name);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, "");
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, "err: ");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!keepInputOpen) process.StandardInput.Close();
        return child;
    }

    private void OnLine(string? line, string prefix)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Append(prefix).AppendLine(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult(line);
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>The first output line (already seen or still to come) that matches; fails the test after <paramref name="within"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan within)
    {
        TaskCompletionSource<string> seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            var earlier = _output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(match);
            if (earlier is not null) return earlier;
            _waiters.Add((match, seen));
        }
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(seen.Task, exited, Task.Delay(within));
        if (first == seen.Task) return await seen.Task;
        Assert.Fail($"{Name}: {what} did not happen within {within.TotalSeconds:F0} s{(first == exited ? $" (it exited with {_process.ExitCode})" : "")}\n{Output}");
        return "";
    }

    /// <summary>
    /// The first progress line (`[running  ] t=   12/16s ...`) at or past <paramref name="second"/>: a busy machine prints
    /// a line per second only roughly, so a given second's line may never come.
    /// </summary>
    public Task<string> WaitForRunSecondAsync(int second, TimeSpan within) =>
        WaitForLineAsync(l => System.Text.RegularExpressions.Regex.Match(l, @"\] t=\s*(\d+)/") is { Success: true } m && int.Parse(m.Groups[1].Value) >= second,
            $"{second} s of running", within);

    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { Assert.Fail($"{Name} did not exit within {within.TotalSeconds:F0} s\n{Output}"); }
        _process.WaitForExit(); // flushes the redirected streams
        return _process.ExitCode;
    }

    /// <summary>Closes the child's stdin: a test peer then stops cleanly and prints its final line.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster, as when a machine dies.</summary>
    public void KillHard()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        KillHard();
        try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        _process.Dispose();
    }

    private static readonly HashSet<int> Handed = [];

    /// <summary>
    /// A loopback port free right now, never one handed out before in this test process: the OS may give a
    /// just-released port again, and a silo asked for three ports in a row then gets two equal ones.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        for (var attempt = 0; ; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (Handed)
            {
                if (Handed.Add(port) || attempt >= 100) return port;
            }
        }
    }
}
