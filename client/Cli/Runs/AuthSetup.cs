using System.Security.Cryptography;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Runs;

/// <summary>
/// Resolves a scenario's <c>auth:</c> into the plan the clients run (which names the key's environment variable
/// or file, never the key itself) and what the embedded target needs to check tokens (handed to it through its
/// environment, not its command line). Every problem names the file, line, column and key; none shows the key.
/// </summary>
public sealed record AuthSetup
{
    /// <summary>Environment variable through which the embedded target receives its verification key.</summary>
    public const string TargetKeyVariable = "SIMCLUSTER_TARGET_AUTH_KEY";

    /// <summary>Environment variable (of this process only) holding a key generated for the run.</summary>
    public const string GeneratedKeyVariable = "SIMCLUSTER_RUN_JWT_KEY";

    public AuthPlan? Plan { get; init; }
    public string? TargetAlgorithm { get; init; }
    public string? TargetKey { get; init; }

    /// <summary>Arguments for `simcluster target` (the key itself goes by <see cref="TargetEnvironment"/>).</summary>
    public IReadOnlyList<string> TargetArguments => TargetKey is null ? [] : ["--auth-algorithm", TargetAlgorithm!, "--auth-key-env", TargetKeyVariable];

    public IReadOnlyDictionary<string, string?> TargetEnvironment => new Dictionary<string, string?>
    {
        [TargetKeyVariable] = TargetKey,
        [GeneratedKeyVariable] = null, // the target never needs the signing key
    };

    public static AuthSetup Prepare(Scenario scenario, bool inProcessSilo, List<string> errors)
    {
        if (scenario.Auth is not { } auth) return new AuthSetup();
        var file = scenario.SourcePath;
        if (auth.Refresh.Mode == RefreshMode.InBand && scenario.Protocol != ProtocolKind.Session && auth.Refresh.Message is null && scenario.Json?.RefreshMessage is null)
            errors.Add($"{file}: auth.refresh.mode: in-band refresh uses the session protocol's auth.refresh frame; set protocol: session, " +
                       "or give the server's own refresh frame (refresh.message with {token}, and refresh.expect; with protocol: json, json.refresh), or use reconnect or none");

        var plan = new AuthPlan
        {
            Send = auth.Send,
            RefreshMode = auth.Refresh.Mode,
            Before = auth.Refresh.Before,
            Late = auth.Refresh.Late,
            RefreshTimeout = auth.Refresh.Timeout,
            ReplayOld = auth.Refresh.ReplayOld,
            FetchTimeout = auth.FetchTimeout,
            RefreshMessage = auth.Refresh.Message,
            RefreshedWhen = auth.Refresh.Expect,
            RejectedWhen = auth.Refresh.Reject,
        };

        if (auth.TokenUrl is { } url)
        {
            var uri = new Uri(url);
            if (!TargetGuard.IsLoopback(uri))
                errors.Add($"{file}: auth.tokenUrl: only token endpoints on loopback (127.0.0.0/8, localhost) are allowed, got host '{uri.Host}'");
            return new AuthSetup { Plan = plan with { Source = TokenSourceKind.Url, TokenUrl = url } };
        }

        var jwt = auth.Jwt!;
        var (key, line, column) = jwt.KeyPosition;
        var at = $"{file}:{line}:{column}: {key}";
        string? material;
        string? keyEnv = jwt.SecretEnv;
        string? keyFile = null;
        if (jwt.GenerateKey)
        {
            if (!inProcessSilo)
            {
                errors.Add($"{at}: a generated key exists only in this process; with --cluster give secretEnv or secretFile (set on every silo)");
                return new AuthSetup();
            }
            material = SigningKeys.IsRsa(jwt.Algorithm) ? GenerateRsa() : Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
            Environment.SetEnvironmentVariable(GeneratedKeyVariable, material);
            keyEnv = GeneratedKeyVariable;
        }
        else
        {
            if (jwt.SecretFile is { } path)
                keyFile = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".", path));
            material = SigningKeys.TryReadMaterial(keyEnv, keyFile, out var error);
            if (material is null)
            {
                errors.Add($"{at}: {error} (the key never goes into the scenario file itself)");
                return new AuthSetup();
            }
        }
        if (SigningKeys.Check(material, jwt.Algorithm) is { } problem)
        {
            errors.Add($"{at}: {problem}");
            return new AuthSetup();
        }

        return new AuthSetup
        {
            Plan = plan with
            {
                Source = TokenSourceKind.Minted,
                Algorithm = jwt.Algorithm,
                KeyEnv = keyEnv,
                KeyFile = keyFile,
                Lifetime = jwt.Lifetime,
                BadSignature = (double)jwt.BadSignature,
                ClockOffset = jwt.ClockAhead - jwt.ClockBehind,
                AlignedExpiry = jwt.AlignExpiry,
            },
            TargetAlgorithm = jwt.Algorithm,
            TargetKey = SigningKeys.VerificationMaterial(material, jwt.Algorithm),
        };
    }

    private static string GenerateRsa()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    }
}
