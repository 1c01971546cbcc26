using System.Reflection;
using System.Text.RegularExpressions;
using SimCluster.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli;

/// <summary>
/// Every exit code the documentation names is one the CLI has (<see cref="ExitCodes"/>), and every code the CLI has
/// is in the exit-code table of docs/security.md: the docs and the code cannot drift apart.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class ExitCodeDocsTests
{
    private static readonly int[] Codes = [.. typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int)).Select(f => (int)f.GetRawConstantValue()!)];

    /// <summary>`exit 105`, `exits `104``, `exit code 99`, `exitCode}'  # 0, 99, 104 or 105`: the codes in such lists.</summary>
    [GeneratedRegex(@"\bexit(?:s|ed|Code)?\b[^\w\n]{0,12}(?:codes?\b[^\w\n]{0,4})?(?<list>`?\d{1,3}`?(?:\s*(?:,|or|and)\s*`?\d{1,3}`?)*)", RegexOptions.IgnoreCase)]
    private static partial Regex ExitMention();

    public static TheoryData<string> Documents()
    {
        var root = Simcluster.RepoRoot;
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}")
                                 && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                                 && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                                 && !f.Contains($"{Path.DirectorySeparatorChar}.build{Path.DirectorySeparatorChar}")))
        {
            data.Add(Path.GetRelativePath(root, file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_exit_code_a_document_names_exists(string document)
    {
        var lines = File.ReadAllLines(Path.Combine(Simcluster.RepoRoot, document));
        var wrong = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (Match mention in ExitMention().Matches(lines[i]))
            {
                foreach (Match number in Regex.Matches(mention.Groups["list"].Value, @"\d+"))
                {
                    var code = int.Parse(number.Value);
                    // 1 is the runtime's unhandled exception and 128 + N the shell's "killed by signal N" (134 abort,
                    // 137 SIGKILL): the docs name them as what the tool must never end with, not as codes of its own.
                    if (code is > 1 and < 128 && !Codes.Contains(code)) wrong.Add($"{document}:{i + 1}: exit code {code} ('{mention.Value}')");
                }
            }
        }
        Assert.True(wrong.Count == 0, $"codes the CLI does not have ({string.Join(", ", Codes)}):\n{string.Join("\n", wrong)}");
    }

    [Fact]
    public void The_exit_code_table_lists_every_code_the_cli_has()
    {
        var security = File.ReadAllText(Path.Combine(Simcluster.RepoRoot, "docs", "security.md"));
        var table = security[security.IndexOf("## Exit codes", StringComparison.Ordinal)..];
        var rows = Regex.Matches(table, @"^\| (\d+) \|", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value)).ToArray();
        Assert.Equal(Codes.Order(), rows.Order());
    }

    [Fact]
    public void The_mention_pattern_finds_codes_in_the_forms_the_docs_use()
    {
        string[] found(string line) => [.. ExitMention().Matches(line).SelectMany(m => Regex.Matches(m.Groups["list"].Value, @"\d+").Select(n => n.Value))];
        Assert.Equal(["105"], found("the silo exits 105 with what to do"));
        Assert.Equal(["104"], found("invalid input exits `104` (`FuzzTests`)"));
        Assert.Equal(["0", "99", "104", "106"], found("-o jsonpath='{.exitCode}'   # 0, 99, 104 or 106 (interrupted)"));
        Assert.Equal(["99"], found("a failed threshold (exit 99) fails the Job"));
        Assert.Empty(found("the exit of the process"));
    }
}
