using System.Text.RegularExpressions;

namespace SimCluster.Abstractions.Security;

/// <summary>
/// The one place where secrets are hidden before text reaches a report, the console or a log. A value is
/// secret when its key ends in key, secret, token, password, passwd, pwd, credential(s) or signature
/// (<c>apiKey: …</c>, <c>auth.jwt.secret=…</c>, <c>?access_token=…</c>), or when it is the password of a
/// URL (<c>ws://user:pass@host</c>). Names of where a secret lives are not secrets and stay readable:
/// <c>secretEnv: SIM_JWT_SECRET</c>, <c>tokenUrl: http://…</c>.
/// </summary>
public static partial class Secrets
{
    public const string Mask = "***";

    /// <summary>YAML or flow mappings (<c>key: value</c>), <c>--set</c> overrides (<c>path.key=value</c>) and JSON (<c>"key": "value"</c>).</summary>
    [GeneratedRegex("""(?<key>(?<![\w-])[\w-]*(?:key|secret|token|password|passwd|pwd|credentials?|signature)"?)(?<sep>[ \t]*[:=][ \t]*)(?<value>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s,}\]#&]+)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyValue();

    /// <summary>The password part of a URL's user info.</summary>
    [GeneratedRegex(@"(?<prefix>\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)(?<password>[^@/?#\s]+)(?=@)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var redacted = UrlPassword().Replace(text, m => m.Groups["prefix"].Value + Mask);
        return KeyValue().Replace(redacted, m => m.Groups["value"].Value == Mask
            ? m.Value
            : m.Groups["key"].Value + m.Groups["sep"].Value + Quote(m.Groups["value"].Value));
    }

    public static string Redact(Uri uri) => Redact(uri.ToString());

    /// <summary>Keeps the value's quoting, so redacted YAML or JSON still reads as such.</summary>
    private static string Quote(string value) => value.Length > 0 && value[0] is '"' or '\'' ? value[0] + Mask + value[0] : Mask;
}
