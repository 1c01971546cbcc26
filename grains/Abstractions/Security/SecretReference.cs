namespace SimCluster.Abstractions.Security;

/// <summary>
/// Reads a secret the scenario names by reference (<c>secretEnv</c> or <c>secretFile</c>): the one reader behind
/// signing keys and the <c>connect:</c> block's headers. Error messages name where the secret lives, never what it is.
/// </summary>
public static class SecretReference
{
    /// <summary>The raw text from the environment variable or the file; null after <paramref name="error"/>.</summary>
    /// <param name="what">What the secret is, for the error (<c>key</c>, <c>header value</c>).</param>
    public static string? TryRead(string? env, string? file, out string? error, string what = "key")
    {
        error = null;
        if (env is not null)
        {
            var value = Environment.GetEnvironmentVariable(env);
            if (string.IsNullOrEmpty(value)) error = $"environment variable {env} is not set";
            return string.IsNullOrEmpty(value) ? null : value;
        }
        if (file is not null)
        {
            try { return File.ReadAllText(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = $"cannot read {what} file {file}: {e.GetType().Name}";
                return null;
            }
        }
        error = $"no {what} source given";
        return null;
    }
}
