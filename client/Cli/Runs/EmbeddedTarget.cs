using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SimCluster.Cli.Runs;

/// <summary>
/// `target: embedded`: the reference target started by the run as a child process of this same program,
/// on a free loopback port. A separate process keeps its memory figures honest (the tool's own heap is
/// not in them) and gives each side its own open-file limit.
/// </summary>
public sealed partial class EmbeddedTarget : IAsyncDisposable
{
    private readonly Process _process;

    private EmbeddedTarget(Process process, Uri webSocketUri, Uri hubUri)
    {
        _process = process;
        WebSocketUri = webSocketUri;
        HubUri = hubUri;
    }

    public Uri WebSocketUri { get; }

    /// <summary>http://127.0.0.1:PORT/hub: the target's SignalR hub (protocol: signalr).</summary>
    public Uri HubUri { get; }

    /// <param name="environment">Extra variables for the target (a null value removes one); how secrets reach it, never the command line.</param>
    public static async Task<EmbeddedTarget> StartAsync(IReadOnlyList<string> targetArguments, CancellationToken ct, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = SelfInvocation.StartInfo(["target", "--port", "0", "--parent-pid", Environment.ProcessId.ToString(), .. targetArguments]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the embedded target");
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (TryParseListening(line, out var webSocketUri, out var hubUri))
                {
                    _ = DrainAsync(process.StandardOutput);
                    return new EmbeddedTarget(process, webSocketUri, hubUri);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Fall through to the error below.
        }
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        lock (stderr) throw new InvalidOperationException($"the embedded target did not start: {stderr.ToString().Trim()}");
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        try { while (await reader.ReadLineAsync() is not null) { } }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited) return;
        try
        {
            // SIGTERM first so it closes its sockets cleanly; kill if it does not go.
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit(1000);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        _process.Dispose();
    }

    /// <summary>Reads the line `simcluster target` prints once it listens (TargetCommand).</summary>
    internal static bool TryParseListening(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? webSocketUri, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? hubUri)
    {
        var match = ListeningLine().Match(line);
        webSocketUri = match.Success ? new Uri(match.Groups[1].Value) : null;
        hubUri = match.Success ? new Uri(match.Groups[2].Value) : null;
        return match.Success;
    }

    [GeneratedRegex(@"listening on (ws://\S+) .*signalr hub: (http://[^\s)]+)")]
    private static partial Regex ListeningLine();
}

/// <summary>How this program starts another copy of itself (apphost, or `dotnet simcluster.dll`).</summary>
public static class SelfInvocation
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("unknown process path");
        var info = new ProcessStartInfo(processPath) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
            info.ArgumentList.Add(typeof(SelfInvocation).Assembly.Location);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return info;
    }
}
