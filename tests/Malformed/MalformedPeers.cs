using System.Diagnostics;
using System.Text.RegularExpressions;
using SimCluster.Grains.Attacks;
using SimCluster.Target;
using SimCluster.Tests.Support;
using SimCluster.Transport;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Malformed;

/// <summary>Runs one case against a server and grades it, as an attacker would (bounded: a hung case fails the test).</summary>
internal static class CaseHarness
{
    public static CaseContext Context(Uri target) => new()
    {
        Connect = new ConnectOptions { Target = target, ConnectTimeout = TimeSpan.FromSeconds(5) },
    };

    /// <summary>Runs case <paramref name="id"/> (or only some of its variants, "F25:PING flood") and grades it.</summary>
    public static Task<(CaseRun Run, CaseGrade Grade)> RunAsync(Uri target, string id) => RunAsync(Context(target), id);

    /// <summary>As <see cref="RunAsync(Uri, string)"/>, with the connect options a protocol's client has (Engine.IO's query, a subprotocol offer).</summary>
    public static async Task<(CaseRun Run, CaseGrade Grade)> RunAsync(CaseContext context, string id)
    {
        var target = context.Connect.Target;
        var (caseId, variants) = id.Split(':', 2) is [var c, var v] ? (c, v.Split('|')) : (id, null);
        var @case = CaseCatalogue.Get(caseId);
        if (variants is not null) @case = new OnlyVariants(@case, variants);
        var bound = @case.Deadline * @case.Variants.Count + TimeSpan.FromSeconds(30);
        var run = await Eventually.Within(CaseRunner.RunAsync(@case, context, CancellationToken.None), $"case {id} against {target}", bound);
        Assert.True(run.ConnectError is null, $"{id}: could not connect: {run.ConnectError?.Message}");
        Assert.True(run.ToolError is null, $"{id}: tool error: {run.ToolError}");
        Assert.Equal(@case.Variants.Count, run.Observations.Count);
        return (run, CaseGrader.Grade(@case, run.Observations));
    }

    /// <summary>Runs every case (or case:variants) of a family against a server and checks the whole verdict table at once.</summary>
    public static Task<IReadOnlyDictionary<string, (CaseRun Run, CaseGrade Grade)>> ExpectAsync(Uri target, IReadOnlyDictionary<string, Verdict> expected) =>
        ExpectAsync(Context(target), expected);

    public static async Task<IReadOnlyDictionary<string, (CaseRun Run, CaseGrade Grade)>> ExpectAsync(CaseContext context, IReadOnlyDictionary<string, Verdict> expected)
    {
        var target = context.Connect.Target;
        var results = await Task.WhenAll(expected.Keys.Select(async id => (Id: id, Result: await RunAsync(context, id))));
        var table = string.Join("\n", results.Select(r => $"{(r.Result.Grade.Verdict == expected[r.Id] ? "  " : "X ")}{r.Id}: expected {expected[r.Id].Name()}, got {Describe(r.Id, r.Result.Grade)}"));
        Assert.True(results.All(r => r.Result.Grade.Verdict == expected[r.Id]), $"verdicts against {target}:\n{table}");
        return results.ToDictionary(r => r.Id, r => r.Result);
    }

    /// <summary>A case restricted to some of its variants.</summary>
    private sealed class OnlyVariants(MalformedCase inner, IReadOnlyList<string> variants) : MalformedCase
    {
        public override string Id => inner.Id;
        public override string Title => inner.Title;
        public override string RfcSection => inner.RfcSection;
        public override Expectation Expected => inner.Expected;
        public override Expectation ExpectedFor(string variant) => inner.ExpectedFor(variant);
        public override TimeSpan Deadline => inner.Deadline;
        public override IReadOnlyList<string> Variants => variants;
        public override Task<Observation> RunAsync(CaseContext context, string variant, CancellationToken ct) => inner.RunAsync(context, variant, ct);
    }

    public static string Describe(string id, CaseGrade grade) => $"{id}: {grade.Verdict.Name()} ({grade.Observed})";
}

/// <summary>The reference target in this process on a free port, as tests start it.</summary>
public sealed class ReferenceTargetPeer : IAsyncLifetime
{
    public ReferenceTarget Target { get; private set; } = null!;

    public Uri Uri => Target.WebSocketUri;

    public async Task InitializeAsync() => Target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });

    public async Task DisposeAsync() => await Target.DisposeAsync();
}

/// <summary>A Node script from tests/peers, started on a free port; <c>npm ci</c> runs first if a dependency is missing from node_modules.</summary>
public abstract partial class NodePeer : IAsyncLifetime
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private Process? _process;
    private readonly List<string> _lines = [];

    public static string Folder { get; } = Path.Combine(Simcluster.RepoRoot, "tests", "peers");

    protected abstract string Script { get; }

    protected virtual IEnumerable<string> Arguments => [];

    public Uri Uri { get; private set; } = null!;

    public string Output { get { lock (_lines) return string.Join('\n', _lines); } }

    public bool HasExited => _process?.HasExited ?? true;

    public async Task InitializeAsync()
    {
        await InstallAsync();
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var info = ChildProcess.StartInfo("node", [Script, "0", .. Arguments], Folder);
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lines) _lines.Add(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m) port.TrySetResult(int.Parse(m.Groups[1].Value));
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add("stderr: " + e.Data); };
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => port.TrySetException(new InvalidOperationException($"{Script} exited before listening: {Output}"));
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Uri = new Uri($"ws://127.0.0.1:{await port.Task.WaitAsync(TimeSpan.FromSeconds(30))}/");
    }

    public static async Task InstallAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            if (Installed()) return;
            var install = await ChildProcess.RunAsync(ChildProcess.StartInfo("npm", ["ci", "--no-audit", "--no-fund"], Folder), TimeSpan.FromMinutes(3));
            Assert.True(install.ExitCode == 0, $"npm install in tests/peers failed:\n{install}");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    /// <summary>Every dependency of tests/peers/package.json has its folder in node_modules (a peer added since the last install is not).</summary>
    private static bool Installed()
    {
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "package.json")));
        return manifest.RootElement.GetProperty("dependencies").EnumerateObject()
            .All(d => File.Exists(Path.Combine(Folder, "node_modules", d.Name, "package.json")));
    }

    public Task DisposeAsync()
    {
        if (_process is null) return Task.CompletedTask;
        if (!_process.HasExited)
        {
            try { _process.StandardInput.Close(); } catch (IOException) { }
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"^listening (\d+)$")]
    private static partial Regex Listening();
}

/// <summary>Node's <c>ws</c>: an independent, strict implementation (tests/peers/ws-strict-server.js).</summary>
public sealed class NodeWsPeer : NodePeer
{
    protected override string Script => "ws-strict-server.js";
}

/// <summary>The real socket.io 4.8.1 server (tests/peers/socketio-server.js), pinging every 5 s: no case outlives its pongs.</summary>
public sealed class SocketioPeer : NodePeer
{
    protected override string Script => "socketio-server.js";

    protected override IEnumerable<string> Arguments => ["5000", "5000"];
}

/// <summary>The real graphql-ws 6 server (tests/peers/graphql-server.js).</summary>
public sealed class GraphqlWsPeer : NodePeer
{
    protected override string Script => "graphql-server.js";
}

/// <summary>A deliberately lax server that validates nothing (tests/peers/lax-server.js).</summary>
public sealed class LaxPeer : NodePeer
{
    protected override string Script => "lax-server.js";
}
