using System.Text.RegularExpressions;

namespace SimCluster.Tests.Deploy;

/// <summary>The few Dockerfile instructions the tests need, read from deploy/docker/Dockerfile.</summary>
internal sealed partial class DockerfileModel
{
    public sealed record Instruction(string Keyword, string Arguments, int Stage);

    public List<Instruction> Instructions { get; } = [];
    public List<string> StageImages { get; } = [];
    public Dictionary<string, string> GlobalArgs { get; } = [];

    public static DockerfileModel Load() => Parse(File.ReadAllText(DeployFiles.Dockerfile));

    public static DockerfileModel Parse(string text)
    {
        var model = new DockerfileModel();
        var logical = new List<string>();
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (current.Length == 0 && line.TrimStart().StartsWith('#')) continue;
            if (line.EndsWith('\\')) { current += line[..^1] + " "; continue; }
            current += line;
            if (current.Trim().Length > 0) logical.Add(current.Trim());
            current = "";
        }
        var stage = -1;
        foreach (var line in logical)
        {
            var space = line.IndexOf(' ');
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : Whitespace().Replace(line[(space + 1)..].Trim(), " ");
            if (keyword == "FROM")
            {
                stage++;
                var image = arguments.Split(' ').First(a => !a.StartsWith("--", StringComparison.Ordinal));
                model.StageImages.Add(model.Substitute(image));
            }
            else if (keyword == "ARG" && stage < 0 && arguments.Split('=', 2) is [var name, var value])
            {
                model.GlobalArgs[name] = value;
            }
            model.Instructions.Add(new Instruction(keyword, arguments, stage));
        }
        return model;
    }

    public int FinalStage => StageImages.Count - 1;

    /// <summary>COPY instructions that take files from the build context (not from another stage).</summary>
    public IEnumerable<(string[] Sources, int Stage)> ContextCopies =>
        Instructions.Where(i => i.Keyword == "COPY" && !i.Arguments.Contains("--from=", StringComparison.Ordinal))
            .Select(i => (i.Arguments.Split(' ').Where(a => !a.StartsWith("--", StringComparison.Ordinal)).SkipLast(1).ToArray(), i.Stage));

    /// <summary>The `dotnet publish ...` arguments of the RUN line that publishes (after "dotnet").</summary>
    public string[] PublishArguments
    {
        get
        {
            var run = Instructions.Single(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
            var command = run.Arguments[run.Arguments.IndexOf("dotnet publish", StringComparison.Ordinal)..];
            Assert.DoesNotContain("&&", command);
            return command.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
        }
    }

    public string WorkDir(int stage) => Instructions.Last(i => i.Stage == stage && i.Keyword == "WORKDIR").Arguments;

    private string Substitute(string text) =>
        ArgReference().Replace(text, m => GlobalArgs.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex ArgReference();
}
