using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SimCluster.Cli.Reports;

/// <summary>The files of a report folder beside report.json: report.html and report.junit.xml, both rendered from report.json.</summary>
public static class ReportFiles
{
    public const string JsonName = "report.json";
    public const string HtmlName = "report.html";
    public const string JunitName = "report.junit.xml";

    /// <summary>
    /// Writes report.html and report.junit.xml into <paramref name="directory"/>. A failure here is reported
    /// (with the way to retry) but never changes a run's outcome: report.json is already complete.
    /// </summary>
    public static async Task<bool> WriteAsync(string directory, JsonObject report, TextWriter stdout, TextWriter stderr, JsonObject? comparison = null)
    {
        try
        {
            Directory.CreateDirectory(directory);
            await WriteAtomicallyAsync(Path.Combine(directory, HtmlName), HtmlReport.Render(report, comparison));
            await WriteAtomicallyAsync(Path.Combine(directory, JunitName), JunitReport.Render(report));
            stdout.WriteLine($"also: {Path.Combine(directory, HtmlName)} (open in a browser), {Path.Combine(directory, JunitName)} (for CI)");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException or ArgumentException)
        {
            stderr.WriteLine($"warning: could not write {HtmlName} / {JunitName}: {e.Message}. {JsonName} is complete; try again with ./simcluster report {directory}");
            return false;
        }
    }

    /// <summary>Reads DIR/report.json (or the file itself when given one); null with a message that says what to do otherwise.</summary>
    public static JsonObject? Read(string path, out string? error)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, JsonName) : path;
        error = null;
        if (!File.Exists(file))
        {
            error = Directory.Exists(path)
                ? $"{path} has no {JsonName}; pass a folder written by ./simcluster run, e.g. simcluster-reports/smoke-20260101-120000"
                : $"{path} does not exist; pass a report folder (written by ./simcluster run --out DIR) or its {JsonName}";
            return null;
        }
        try
        {
            if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject json && json["schema"] is JsonValue)
                return json;
            error = $"{file} is not a SimCluster report (no \"schema\" field); pass the report.json a run wrote";
        }
        catch (JsonException e)
        {
            error = $"{file} is not valid JSON ({e.Message}); run the scenario again to get a fresh report";
        }
        catch (IOException e)
        {
            error = $"cannot read {file}: {e.Message}";
        }
        return null;
    }

    private static async Task WriteAtomicallyAsync(string path, string text)
    {
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, text, new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }
}
