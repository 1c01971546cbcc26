using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Security;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Runs;

/// <summary>
/// Before a run starts: every secret the scenario's <c>connect:</c> block names can be read here and can go into a
/// request header, or the run does not start; each problem names the file, line, column and key, never the value.
/// The silos read the same references themselves (the plan carries only the names).
/// </summary>
public static class ConnectSetup
{
    public static void Check(Scenario scenario, List<string> errors)
    {
        foreach (var secret in scenario.Connect.Secrets)
        {
            var at = $"{scenario.SourcePath}:{secret.Line}:{secret.Column}: {secret.Key}";
            var value = SecretReference.TryRead(
                secret.Value.Source == ConnectValueSource.Env ? secret.Value.Text : null,
                secret.Value.Source == ConnectValueSource.File ? secret.Value.Text : null,
                out var error, "secret");
            if (value is null)
                errors.Add($"{at}: {error} (the value never goes into the scenario file itself)");
            else if (!ConnectRules.IsHeaderValue(secret.Value.Source == ConnectValueSource.File ? value.TrimEnd('\r', '\n') : value))
                errors.Add($"{at}: the secret contains a line break or another control character, so it cannot go into the upgrade request");
        }
    }
}
