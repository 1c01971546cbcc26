using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SimCluster.Tests.Reports;

internal static class Repo
{
    /// <summary>The repository root: the first folder upwards from the test binaries that holds SimCluster.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SimCluster.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no SimCluster.sln above {AppContext.BaseDirectory}");
    }

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static IReadOnlyList<string> ShippedScenarios() =>
        Directory.EnumerateFiles(PathOf("scenarios"), "*.yaml").Order(StringComparer.Ordinal).ToList();

    /// <summary>A screenshot a test took becomes the docs/ picture the README shows: with SIMCLUSTER_UPDATE_SCREENSHOT=1, or when it is missing.</summary>
    public static void KeepScreenshot(string png, string docsPath)
    {
        var kept = PathOf(docsPath);
        if (Environment.GetEnvironmentVariable("SIMCLUSTER_UPDATE_SCREENSHOT") == "1" || !File.Exists(kept)) File.Copy(png, kept, overwrite: true);
    }

    public static string TempDirectory(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}

internal sealed record ProcessOutcome(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

internal static class Processes
{
    /// <summary>Runs a program to its end (killed, and the test failed, after <paramref name="bound"/>).</summary>
    public static async Task<ProcessOutcome> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan bound)
    {
        var info = SimCluster.Tests.Support.ChildProcess.StartInfo(fileName, arguments, workingDirectory);

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish within {bound.TotalSeconds:0} s\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // drains the output readers
        return new ProcessOutcome(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>
/// YAML to JSON the way editors see a scenario (yaml-language-server uses the YAML 1.2 core schema):
/// plain scalars become null, booleans, integers or floats when they look like one; quoted ones stay strings.
/// </summary>
internal static partial class YamlJson
{
    public static JsonNode? Convert(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", Convert(c.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(Convert)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
            return JsonValue.Create(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (IntPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (FloatPattern().IsMatch(text))
            return JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        return JsonValue.Create(text);
    }
}
