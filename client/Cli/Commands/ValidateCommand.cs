using SimCluster.Abstractions.Security;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Commands;

/// <summary>`simcluster validate`: every problem of a scenario, with file, line, column and key; runs nothing.</summary>
public static class ValidateCommand
{
    public static int Execute(string path, IReadOnlyList<string> sets, TextWriter stdout, TextWriter stderr)
    {
        var loaded = ScenarioLoader.LoadFile(path, sets, ScenarioVocabulary.Default);
        if (!loaded.Ok)
        {
            PrintErrors(loaded.Errors, stderr);
            return ExitCodes.InvalidInput;
        }
        var s = loaded.Scenario!;
        stdout.WriteLine($"{path}: OK: '{s.Name}', {s.Clients} clients, {s.Duration.TotalSeconds:0.###} s, " +
                         $"groups: {string.Join(", ", s.Population.Select(g => $"{g.Name} ({g.Behavior}, {g.Clients})"))}, {s.Thresholds.Count} threshold(s)");
        return ExitCodes.Passed;
    }

    public static void PrintErrors(IReadOnlyList<ScenarioError> errors, TextWriter stderr)
    {
        foreach (var error in errors) stderr.WriteLine(Secrets.RedactMessage(error.Key, error.ToString())); // the binder redacted the message already; this covers the key path
        stderr.WriteLine($"{errors.Count} problem(s) found; nothing was run.");
    }
}
