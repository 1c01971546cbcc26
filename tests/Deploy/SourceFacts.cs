using System.Text.RegularExpressions;

namespace SimCluster.Tests.Deploy;

/// <summary>
/// What the code says, read from the sources, so the manifests are checked against the code rather than
/// against a second hand-written copy of the same values.
/// </summary>
internal static partial class SourceFacts
{
    /// <summary>Paths the silo's HTTP port serves (MapGet in silo/SiloHost.cs).</summary>
    public static IReadOnlySet<string> SiloHttpPaths { get; } =
        MapGet().Matches(DeployFiles.ReadRepoFile("silo", "SiloHost.cs")).Select(m => m.Groups[1].Value).ToHashSet();

    /// <summary>Paths the reference target answers besides its WebSocket path (target/ReferenceTarget.cs).</summary>
    public static IReadOnlySet<string> TargetHttpPaths { get; } =
        CaseLiteral().Matches(DeployFiles.ReadRepoFile("target", "ReferenceTarget.cs")).Select(m => m.Groups[1].Value).ToHashSet();

    /// <summary>How long the CLI lets an action run after SIGTERM (client/Cli/Program.cs).</summary>
    public static TimeSpan ProcessTerminationTimeout
    {
        get
        {
            var m = TerminationTimeout().Match(DeployFiles.ReadRepoFile("client", "Cli", "Program.cs"));
            Assert.True(m.Success, "ProcessTerminationTimeout = TimeSpan.FromSeconds(N) not found in client/Cli/Program.cs");
            return TimeSpan.FromSeconds(int.Parse(m.Groups[1].Value));
        }
    }

    /// <summary>The options a `simcluster COMMAND` accepts, read from its definition in client/Cli/Program.cs.</summary>
    public static IReadOnlySet<string> CommandOptions(string command)
    {
        var program = DeployFiles.ReadRepoFile("client", "Cli", "Program.cs");
        var name = char.ToUpperInvariant(command[0]) + command[1..] + "CommandDefinition()";
        var start = program.IndexOf("private static Command " + name, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{name} not found in client/Cli/Program.cs");
        var end = program.IndexOf("private static Command ", start + 10, StringComparison.Ordinal);
        var body = end < 0 ? program[start..] : program[start..end];
        return OptionName().Matches(body).Select(m => m.Groups[1].Value).ToHashSet();
    }

    /// <summary>The product version (Directory.Build.props), which is the image tag.</summary>
    public static string Version
    {
        get
        {
            var m = VersionElement().Match(DeployFiles.ReadRepoFile("Directory.Build.props"));
            Assert.True(m.Success, "<Version> not found in Directory.Build.props");
            return m.Groups[1].Value;
        }
    }

    [GeneratedRegex(@"MapGet\(""([^""]+)""")]
    private static partial Regex MapGet();

    [GeneratedRegex(@"case ""(/[^""]*)"":")]
    private static partial Regex CaseLiteral();

    [GeneratedRegex(@"ProcessTerminationTimeout\s*=\s*TimeSpan\.FromSeconds\((\d+)\)")]
    private static partial Regex TerminationTimeout();

    [GeneratedRegex(@"new Option<[^>]+>\(""(--[a-z0-9-]+)""\)")]
    private static partial Regex OptionName();

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();
}
