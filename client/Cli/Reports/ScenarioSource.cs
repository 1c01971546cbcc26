using SimCluster.Abstractions.Security;
using System.Text.Json.Nodes;

namespace SimCluster.Cli.Reports;

/// <summary>
/// The scenario file as it was run: its path, its text and the <c>--set</c> overrides applied on top
/// (command-line shortcuts such as <c>--clients</c> included). Written to report.json as
/// <c>scenarioFile</c>, so report.html can show the scenario even when it is re-rendered elsewhere.
/// </summary>
public sealed record ScenarioSource(string Path, string Text, IReadOnlyList<string> Overrides)
{
    /// <summary>Larger files are cut: the report is not the place for a megabyte of YAML.</summary>
    public const int MaxChars = 256 * 1024;

    /// <summary>Null when the file cannot be read any more (the report is still written, without it).</summary>
    public static ScenarioSource? Read(string path, IReadOnlyList<string> overrides)
    {
        try
        {
            var text = File.ReadAllText(path);
            if (text.Length > MaxChars)
                text = text[..MaxChars] + $"\n# ... cut at {MaxChars} characters\n";
            // Secrets in the scenario or in --set (auth keys, tokens, passwords) never reach the report.
            return new ScenarioSource(path, Secrets.Redact(text), [.. overrides.Select(o => Secrets.Redact(o))]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public JsonObject ToJson() => new()
    {
        ["path"] = Path,
        ["text"] = Text,
        ["overrides"] = new JsonArray([.. Overrides.Select(o => (JsonNode?)o)]),
    };
}
