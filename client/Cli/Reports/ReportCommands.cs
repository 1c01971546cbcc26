using System.Diagnostics;
using SimCluster.Scenarios;
using SimCluster.Scenarios.Schema;

namespace SimCluster.Cli.Reports;

/// <summary>`simcluster report [DIR]`, `simcluster scenarios` and `simcluster schema`.</summary>
public static class ReportCommands
{
    public const string ReportsFolder = "simcluster-reports";

    /// <summary>Re-renders report.html and report.junit.xml from DIR/report.json (default: the newest report folder).</summary>
    public static async Task<int> ReportAsync(string? path, bool open, TextWriter stdout, TextWriter stderr, string? baselinePath = null)
    {
        if (path is null)
        {
            path = Newest(ReportsFolder);
            if (path is null)
            {
                stderr.WriteLine($"error: no report folder given and none found under {ReportsFolder}/; run a scenario first (./simcluster run scenarios/smoke.yaml) or pass a folder: ./simcluster report DIR");
                return ExitCodes.InvalidInput;
            }
        }
        var report = ReportFiles.Read(path, out var error);
        if (report is null)
        {
            stderr.WriteLine($"error: DIR: {error}");
            return ExitCodes.InvalidInput;
        }
        System.Text.Json.Nodes.JsonObject? comparison = null;
        if (baselinePath is not null)
        {
            if (ReportFiles.Read(baselinePath, out var baselineError) is not { } baseline)
            {
                stderr.WriteLine($"error: --baseline: {baselineError}");
                return ExitCodes.InvalidInput;
            }
            comparison = ReportComparison.Compare(baseline, report, baselinePath, path);
        }
        var directory = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!await ReportFiles.WriteAsync(directory, report, stdout, stderr, comparison))
            return ExitCodes.CouldNotRun;
        var html = Path.GetFullPath(Path.Combine(directory, ReportFiles.HtmlName));
        var url = new Uri(html).AbsoluteUri;
        stdout.WriteLine($"verdict: {report["verdict"]}   open: {url}");
        if (open)
            Open(url, stdout);
        return ExitCodes.Passed;
    }

    /// <summary>
    /// `simcluster report compare BASELINE CURRENT`: prints the comparison, writes CURRENT/comparison.json and
    /// re-renders CURRENT/report.html with the baseline section. Exit 99 when something regressed.
    /// </summary>
    public static async Task<int> CompareAsync(string baselinePath, string currentPath, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (ReportFiles.Read(baselinePath, out var error) is not { } baseline)
        {
            stderr.WriteLine($"error: BASELINE: {error}");
            return ExitCodes.InvalidInput;
        }
        if (ReportFiles.Read(currentPath, out error) is not { } current)
        {
            stderr.WriteLine($"error: CURRENT: {error}");
            return ExitCodes.InvalidInput;
        }
        var comparison = ReportComparison.Compare(baseline, current, baselinePath, currentPath);
        var directory = Directory.Exists(currentPath) ? currentPath : Path.GetDirectoryName(Path.GetFullPath(currentPath))!;
        var text = comparison.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(directory, ReportComparison.FileName), text);
        if (json) stdout.WriteLine(text);
        else ReportComparison.Print(comparison, stdout);
        if (!await ReportFiles.WriteAsync(directory, current, json ? TextWriter.Null : stdout, stderr, comparison))
            return ExitCodes.CouldNotRun;
        return comparison["regressions"]?.GetValue<int>() > 0 ? ExitCodes.ThresholdFailed : ExitCodes.Passed;
    }

    private static void Open(string url, TextWriter stdout)
    {
        var opener = OperatingSystem.IsMacOS() ? "open" : OperatingSystem.IsWindows() ? "explorer" : "xdg-open";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(opener, url) { UseShellExecute = false });
        }
        catch (System.ComponentModel.Win32Exception)
        {
            stdout.WriteLine($"no '{opener}' on this machine to open a browser; open the address above by hand");
        }
    }

    /// <summary>The most recently written report folder under <paramref name="folder"/>, or null.</summary>
    internal static string? Newest(string folder) =>
        !Directory.Exists(folder)
            ? null
            : new DirectoryInfo(folder).EnumerateDirectories()
                .Select(d => new FileInfo(Path.Combine(d.FullName, ReportFiles.JsonName)))
                .Where(f => f.Exists)
                .OrderByDescending(f => f.LastWriteTimeUtc)
                .Select(f => Path.GetRelativePath(Directory.GetCurrentDirectory(), f.DirectoryName!))
                .FirstOrDefault();

    /// <summary>Lists the shipped scenarios: name, file and the first line of the file's leading comment.</summary>
    public static int Scenarios(string? folder, TextWriter stdout, TextWriter stderr)
    {
        folder ??= ScenarioCatalog.FindFolder();
        if (folder is null || !Directory.Exists(folder))
        {
            stderr.WriteLine(folder is null ? "error: no scenarios folder found; run this from the repository root or pass --dir FOLDER" : $"error: --dir: no scenarios folder at {folder}");
            return ExitCodes.InvalidInput;
        }
        var entries = ScenarioCatalog.List(folder);
        if (entries.Count == 0)
        {
            stdout.WriteLine($"no scenario files (*.yaml) in {folder}");
            return ExitCodes.Passed;
        }
        var nameWidth = entries.Max(e => e.Name.Length);
        var fileWidth = entries.Max(e => e.File.Length);
        foreach (var e in entries)
        {
            var status = e.Valid ? "" : "  [invalid: see ./simcluster validate " + e.File + "]";
            stdout.WriteLine($"{e.Name.PadRight(nameWidth)}  {e.File.PadRight(fileWidth)}  {e.Description}{status}");
        }
        var example = entries.FirstOrDefault(e => e.Name == "smoke") ?? entries[0];
        stdout.WriteLine();
        stdout.WriteLine($"Run one: ./simcluster run {example.File}    check one: ./simcluster validate {example.File}");
        return ExitCodes.Passed;
    }

    public static int Schema(TextWriter stdout)
    {
        stdout.Write(ScenarioSchema.GenerateText());
        return ExitCodes.Passed;
    }
}

/// <summary>The scenario files shipped in the repository's scenarios/ folder.</summary>
public static class ScenarioCatalog
{
    public sealed record Entry(string Name, string File, string Description, bool Valid);

    /// <summary>./scenarios when it exists, else the scenarios/ folder of the repository this build came from.</summary>
    public static string? FindFolder()
    {
        if (Directory.Exists("scenarios"))
            return "scenarios";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "scenarios");
            if (File.Exists(Path.Combine(dir.FullName, "SimCluster.sln")) && Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }

    public static IReadOnlyList<Entry> List(string folder)
    {
        var result = new List<Entry>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.yaml").Concat(Directory.EnumerateFiles(folder, "*.yml")).Order(StringComparer.Ordinal))
        {
            var file = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
            if (file.StartsWith("..", StringComparison.Ordinal)) file = path;
            var loaded = ScenarioLoader.LoadFile(path);
            var name = loaded.Scenario?.Name ?? Path.GetFileNameWithoutExtension(path);
            result.Add(new Entry(name, file, Describe(File.ReadLines(path)), loaded.Ok));
        }
        return result;
    }

    /// <summary>The first comment line before any key, skipping editor directives (yaml-language-server).</summary>
    public static string Describe(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (!line.StartsWith('#')) break;
            var text = line.TrimStart('#').Trim();
            if (text.Length == 0 || text.StartsWith("yaml-language-server:", StringComparison.Ordinal)) continue;
            return text;
        }
        return "(no description: start the file with a # comment line)";
    }
}
