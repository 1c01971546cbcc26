using System.Text;
using System.Text.RegularExpressions;

namespace SimCluster.Abstractions.Security;

/// <summary>
/// The one place where secrets are hidden before text reaches a report, the console or a log. A value is
/// secret when its key ends in key, secret, token, password, passwd, pwd, credential, signature,
/// authorization or cookie, or their plurals (<c>apiKey: …</c>, <c>auth.jwt.secret=…</c>, <c>?access_token=…</c>,
/// <c>Authorization: Bearer …</c>), when it is the password of a URL (<c>ws://user:pass@host</c>), the
/// credentials after <c>Bearer</c> or <c>Basic</c>, or a JWT anywhere. Under a secret key in YAML, the whole
/// value is masked, whatever its form: a quoted string over several lines, a flow list or mapping, a block
/// scalar (<c>|</c>, <c>&gt;</c>) or a block list or mapping (every line indented deeper than the key).
/// Names of where a secret lives are not secrets and stay readable: <c>secretEnv: SIM_JWT_SECRET</c>,
/// <c>tokenUrl: http://…</c>.
/// </summary>
public static partial class Secrets
{
    public const string Mask = "***";

    private const string SecretKey = @"[\w-]*(?:key|secret|token|password|passwd|pwd|credential|signature|authorization|cookie)s?";

    /// <summary>
    /// YAML or flow mappings (<c>key: value</c>), <c>--set</c> overrides (<c>path.key=value</c>) and JSON
    /// (<c>"key": "value"</c>). The value is a quoted string (which may span lines), a one-level flow list or
    /// mapping, a block scalar indicator (its lines are masked by <see cref="MaskIndentedBlocks"/>), or a
    /// plain scalar up to the end of the line, a comma, bracket, comment or <c>&amp;</c> (query strings).
    /// </summary>
    [GeneratedRegex("(?<key>(?<![\\w-])" + SecretKey + """
        "?)(?<sep>[ \t]*[:=][ \t]*)(?!(?:true|false)\b)(?<value>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|\[[^\[\]]*\]|\{[^{}]*\}|[|>][-+0-9]*(?=[ \t]*(?:#[^\r\n]*)?\r?$)|[^\s,}\]#&"'](?:[^\n,}\]#&"']*[^\s,}\]#&"'])?)
        """, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex KeyValue();

    /// <summary>A secret key opening a YAML block line (after its indentation and any list dashes).</summary>
    [GeneratedRegex("^(?<lead>[ \t]*(?:-[ \t]+)*)[\"']?" + SecretKey + "[\"']?[ \t]*:(?<rest>[ \t].*|)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BlockKey();

    /// <summary>The password part of a URL's user info.</summary>
    [GeneratedRegex(@"(?<prefix>\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)(?<password>[^@/?#\s]+)(?=@)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    /// <summary>HTTP credentials (<c>Bearer eyJ…</c>, <c>Basic dXNlcjpwYXNz</c>) wherever they appear.</summary>
    [GeneratedRegex(@"(?<scheme>\b(?:Bearer|Basic)[ \t]+)(?<credentials>[A-Za-z0-9\-._~+/]+=*)", RegexOptions.CultureInvariant)]
    private static partial Regex HttpCredentials();

    /// <summary>A JWT (header.payload.signature, base64url) wherever it appears, under any key or none.</summary>
    [GeneratedRegex(@"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*", RegexOptions.CultureInvariant)]
    private static partial Regex Jwt();

    /// <summary>A quoted part of a message (<c>got 'value'</c>).</summary>
    [GeneratedRegex("""'[^']*'|"[^"]*"|‘[^’]*’""", RegexOptions.CultureInvariant)]
    private static partial Regex Quoted();

    /// <summary>A secret parameter of a URL's query string (<c>?token=…</c>, <c>&amp;client_secret=…</c>).</summary>
    [GeneratedRegex("(?<key>[?&;]" + SecretKey + "=)(?<value>[^&#\\s'\"]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QueryParameter();

    [GeneratedRegex("^" + SecretKey + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var redacted = UrlPassword().Replace(text, m => m.Groups["prefix"].Value + Mask);
        redacted = HttpCredentials().Replace(redacted, m => m.Groups["scheme"].Value + Mask);
        redacted = Jwt().Replace(redacted, Mask);
        redacted = KeyValue().Replace(redacted, m => m.Groups["value"].Value is var value && (value == Mask || value[0] is '|' or '>')
            ? m.Value
            : m.Groups["key"].Value + m.Groups["sep"].Value + MaskValue(value));
        return MaskIndentedBlocks(redacted);
    }

    public static string Redact(Uri uri) => Redact(uri.ToString());

    /// <summary>True when a key path (<c>auth.jwt.secret</c>, <c>headers[0].authorization</c>) names a secret in any segment.</summary>
    public static bool IsSecretPath(string? path) =>
        !string.IsNullOrEmpty(path) && path.Split('.', '[', ']').Any(segment => SecretName().IsMatch(segment));

    /// <summary>
    /// A message about the value at <paramref name="path"/> (a validation error, a command-line error, a
    /// failure): the prose is the tool's own and stays as written, so only what can only be a secret is
    /// masked in it (URL passwords, <c>?token=…</c> parameters, Bearer/Basic credentials, JWTs), and every
    /// quoted part (<c>got 'value'</c>, a value from the user) is redacted as scenario text, or masked
    /// entirely when the path names a secret.
    /// </summary>
    public static string RedactMessage(string? path, string? message)
    {
        if (string.IsNullOrEmpty(message)) return message ?? "";
        var secretPath = IsSecretPath(path);
        var keyName = path?.Split('.', '[', ']').LastOrDefault(segment => segment.Length > 0);
        var quotedDone = Quoted().Replace(message, m =>
        {
            var inner = m.Value[1..^1];
            if (secretPath && inner == keyName) return m.Value; // the key's own name ("unknown key 'apiKey'") is no secret
            return m.Value[0] + (secretPath ? Mask : Redact(inner)) + m.Value[^1];
        });
        var redacted = UrlPassword().Replace(quotedDone, m => m.Groups["prefix"].Value + Mask);
        redacted = HttpCredentials().Replace(redacted, m => m.Groups["scheme"].Value + Mask);
        redacted = Jwt().Replace(redacted, Mask);
        return QueryParameter().Replace(redacted, m => m.Groups["value"].Value == Mask ? m.Value : m.Groups["key"].Value + Mask);
    }

    /// <summary>Keeps the value's form, so redacted YAML or JSON still reads as such.</summary>
    private static string MaskValue(string value)
    {
        var (open, close) = value[0] switch
        {
            '"' or '\'' => (value[0].ToString(), value[0].ToString()),
            '[' => ("[", "]"),
            '{' => ("{", "}"),
            _ => ("", ""),
        };
        if (!value.Contains('\n')) return open + Mask + close;
        // A value over several lines keeps its line count (so line numbers still match the file): the
        // following lines keep only their indentation.
        var lines = value.Split('\n');
        var sb = new StringBuilder(open).Append(Mask);
        foreach (var line in lines.Skip(1)) sb.Append('\n').Append(line[..(line.Length - line.TrimStart(' ', '\t').Length)]);
        return sb.Append(close).ToString();
    }

    /// <summary>
    /// Under a secret key that opens a YAML block line, every following line indented deeper than the key
    /// belongs to its value (a block scalar, a block list or mapping, the rest of a multi-line scalar): its
    /// content is masked, its indentation and list dashes kept, so the text keeps its shape and line count.
    /// </summary>
    private static string MaskIndentedBlocks(string text)
    {
        var lines = text.Split('\n');
        var keyColumn = -1;
        var listAtKeyColumn = false; // "key:" alone may be followed by "- item" lines at its own indentation
        var inComment = false; // a commented-out block ("# tokens:" / "#   - abc") is followed the same way
        var changed = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var cr = lines[i].EndsWith('\r') ? "\r" : "";
            var whole = lines[i].TrimEnd('\r');
            var hashAt = whole.Length - whole.TrimStart(' ', '\t').Length;
            var isComment = hashAt < whole.Length && whole[hashAt] == '#';
            var prefix = isComment ? whole[..(hashAt + 1)] : "";
            var line = whole[prefix.Length..];
            if (isComment != inComment) keyColumn = -1;
            inComment = isComment;
            if (keyColumn >= 0)
            {
                if (line.Trim().Length == 0) continue;
                var indent = line.Length - line.TrimStart(' ', '\t').Length;
                if (indent > keyColumn || (listAtKeyColumn && indent == keyColumn && line.Length > indent + 1 && line[indent] == '-' && line[indent + 1] is ' ' or '\t'))
                {
                    var lead = indent;
                    while (lead + 1 < line.Length && line[lead] == '-' && line[lead + 1] is ' ' or '\t')
                    {
                        lead += 2;
                        while (lead < line.Length && line[lead] is ' ' or '\t') lead++;
                    }
                    var masked = prefix + line[..lead] + Mask + cr;
                    if (masked != lines[i])
                    {
                        lines[i] = masked;
                        changed = true;
                    }
                    continue;
                }
                keyColumn = -1;
            }
            if (BlockKey().Match(line) is not { Success: true } key) continue;
            keyColumn = key.Groups["lead"].Length;
            listAtKeyColumn = key.Groups["rest"].Value.Trim().Length == 0;
            // In block context a plain scalar runs to the end of the line (commas, '&' and '#' without a
            // space before it included): mask all of it, keeping a comment.
            var rest = key.Groups["rest"];
            var value = rest.Value.Trim();
            if (value.Length == 0 || value == Mask || value is "true" or "false" || value[0] is '"' or '\'' or '[' or '{' or '|' or '>' or '#') continue;
            var hash = rest.Value.IndexOf(" #", StringComparison.Ordinal);
            var comment = hash > 0 ? rest.Value[hash..] : "";
            if (hash > 0 && rest.Value[..hash].Trim() == Mask) continue;
            lines[i] = prefix + line[..rest.Index] + " " + Mask + comment + cr;
            changed = true;
        }
        if (!changed) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0) sb.Append('\n');
            sb.Append(lines[i]);
        }
        return sb.ToString();
    }
}
