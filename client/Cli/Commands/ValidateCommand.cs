using SimCluster.Abstractions.Security;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Commands;

/// <summary>`simcluster validate`: every problem and warning of a scenario, with file, line, column and key; runs nothing.</summary>
public static class ValidateCommand
{
    public static int Execute(string path, IReadOnlyList<string> sets, TextWriter stdout, TextWriter stderr)
    {
        var loaded = ScenarioLoader.LoadFile(path, sets, ScenarioVocabulary.Default);
        if (!loaded.Ok)
        {
            PrintProblems(loaded, stderr);
            return ExitCodes.InvalidInput;
        }
        // Warnings are listed, but a scenario that has only warnings is valid: the exit code stays 0.
        PrintWarnings(loaded.Warnings, stderr);
        var s = loaded.Scenario!;
        stdout.WriteLine($"{path}: OK: '{s.Name}', {s.Clients} clients, {s.Duration.TotalSeconds:0.###} s, " +
                         $"groups: {string.Join(", ", s.Population.Select(g => $"{g.Name} ({g.Behavior}, {g.Clients})"))}, {s.Thresholds.Count} threshold(s)" +
                         (loaded.Warnings.Count > 0 ? $", {loaded.Warnings.Count} warning(s)" : ""));
        return ExitCodes.Passed;
    }

    /// <summary>Every error, then every warning, of a scenario that did not load.</summary>
    public static void PrintProblems(ScenarioLoadResult loaded, TextWriter stderr)
    {
        foreach (var error in loaded.Errors) stderr.WriteLine(Secrets.RedactMessage(error.Key, error.ToString())); // the binder redacted the message already; this covers the key path
        PrintWarnings(loaded.Warnings, stderr);
        var warned = loaded.Warnings.Count > 0 ? $" and {loaded.Warnings.Count} warning(s)" : "";
        stderr.WriteLine($"{loaded.Errors.Count} problem(s){warned} found; nothing was run.");
    }

    /// <summary>One line per warning, in the errors' position format, marked so it is not read as an error.</summary>
    public static void PrintWarnings(IReadOnlyList<ScenarioWarning> warnings, TextWriter stderr)
    {
        foreach (var warning in warnings) stderr.WriteLine("warning: " + Secrets.RedactMessage(warning.Key, warning.ToString()));
    }
}
