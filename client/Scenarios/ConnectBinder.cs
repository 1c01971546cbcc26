using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Security;
using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// Binds <c>connect:</c>, the upgrade request every protocol shares: <c>subprotocols</c>, <c>origin</c>, <c>headers</c>,
/// <c>query</c> and <c>caFile</c> (the CAs a <c>wss://</c> server is checked against, read here into the plan). A value is text (a template with <c>{client}</c>, <c>{seq}</c>, <c>{ts}</c>) or a secret by reference
/// (<c>{ secretEnv: NAME }</c> or <c>{ secretFile: PATH }</c>, as the JWT key takes it). Headers the WebSocket client
/// owns and query parameters a protocol or <c>auth</c> sets itself are refused, each with its line and column.
/// </summary>
internal static class ConnectBinder
{
    private const string ValueForm = "a text value, { secretEnv: NAME } or { secretFile: PATH }";
    private static readonly string[] Placeholders = ["{client}", "{seq}", "{ts}"];

    public static ConnectSpec Bind(MapReader root, ProtocolKind protocol, AuthSpec? auth, SignalrSpec signalr, string sourcePath)
    {
        if (root.Map("connect") is not { } m) return new ConnectSpec();
        var d = m.Diag;
        var secrets = new List<ConnectSecretSpec>();
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(sourcePath)) ?? ".";

        var subProtocols = new List<string>();
        if (m.Get("subprotocols") is { } sn)
        {
            var items = NodeReader.Items(sn, m.PathOf("subprotocols"), d, "a list of subprotocol names like [chat.v2, chat.v1]", scalarIsOneItem: true);
            if (items is { Count: 0 }) d.Add(sn, m.PathOf("subprotocols"), "the list of subprotocols is empty; leave the key out to offer none");
            foreach (var (itemNode, itemPath) in items ?? [])
            {
                if (NodeReader.String(itemNode, itemPath, d, "a subprotocol name") is not { } name) continue;
                if (!ConnectRules.IsToken(name))
                    d.Add(itemNode, itemPath, $"{Excerpt.Quote(name)} is not a subprotocol name (letters, digits and !#$%&'*+-.^_`|~, no spaces or commas)");
                else if (subProtocols.Contains(name, StringComparer.Ordinal))
                    d.Add(itemNode, itemPath, $"subprotocol {Excerpt.Quote(name)} is listed twice");
                else
                    subProtocols.Add(name);
            }
        }

        ConnectValuePlan? origin = null;
        if (m.Get("origin") is { } on)
        {
            origin = ReadValue(on, m.PathOf("origin"), d, baseDir, secrets);
            if (origin is { Source: ConnectValueSource.Literal } && !IsOrigin(Sample(origin.Text)))
            {
                d.Add(on, m.PathOf("origin"), $"expected an origin like https://app.example.com (scheme, host and port, no path) or null, got {Excerpt.Quote(origin.Text)}");
                origin = null;
            }
        }

        var headers = new List<ConnectParameterPlan>();
        if (m.Map("headers") is { } hm)
        {
            foreach (var entry in hm.Node.Entries)
            {
                var name = entry.Key.Value;
                var path = hm.PathOf(name);
                if (ConnectRules.RefusedHeader(name) is { } why)
                {
                    d.Add(entry.Key, path, why);
                    continue;
                }
                if (headers.Any(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
                {
                    d.Add(entry.Key, path, $"header {name} is given twice (header names are case-insensitive)");
                    continue;
                }
                if (auth?.Send == TokenPlacement.Header && name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                {
                    d.Add(entry.Key, path, "auth.send: header already sends Authorization: Bearer with the token; leave this header out or use auth.send: query");
                    continue;
                }
                if (ReadValue(entry.Value, path, d, baseDir, secrets) is not { } value) continue;
                if (value.Source == ConnectValueSource.Literal && Secrets.IsSecretPath(name))
                    d.Warn(entry.Value, path, $"the value of {name} is written into the scenario, and so into version control and the report's copy of it (masked there); give it as {{ secretEnv: NAME }} or {{ secretFile: PATH }}");
                headers.Add(new ConnectParameterPlan { Name = name, Value = value });
            }
        }

        var query = new List<ConnectParameterPlan>();
        if (m.Map("query") is { } qm)
        {
            var owned = OwnedQuery(protocol, auth);
            foreach (var entry in qm.Node.Entries)
            {
                var name = entry.Key.Value;
                var path = name.Length == 0 ? qm.Path : qm.PathOf(name);
                if (name.Trim().Length == 0)
                {
                    d.Add(entry.Key, path, "a query parameter needs a name");
                    continue;
                }
                if (owned.FirstOrDefault(o => o.Name.Equals(name, StringComparison.Ordinal)) is { Name: not null } taken)
                {
                    d.Add(entry.Key, path, $"{taken.By} sets the query parameter {name} itself; choose another name");
                    continue;
                }
                if (ReadValue(entry.Value, path, d, baseDir, secrets) is not { } value) continue;
                // SignalR tells a resumable reconnect from a new connection by the query: one that changes per attempt would never resume.
                if (protocol == ProtocolKind.Signalr && signalr.StatefulReconnect && value.Source == ConnectValueSource.Literal
                    && (value.Text.Contains("{seq}", StringComparison.Ordinal) || value.Text.Contains("{ts}", StringComparison.Ordinal)))
                {
                    d.Add(entry.Value, path, "with signalr.statefulReconnect a query value may not change per connect ({seq}, {ts}): the hub would see every reconnect as a new connection; use {client} or a fixed value");
                    continue;
                }
                query.Add(new ConnectParameterPlan { Name = name, Value = value });
            }
        }
        string? trustedCa = null;
        if (m.Get("caFile") is { } cn && NodeReader.String(cn, m.PathOf("caFile"), d, "the path of a PEM file of CA certificates") is { } caFile)
        {
            trustedCa = ReadCaFile(Path.GetFullPath(Path.IsPathRooted(caFile) ? caFile : Path.Combine(baseDir, caFile)), out var why);
            if (trustedCa is null) d.Add(cn, m.PathOf("caFile"), why!);
        }
        m.ReportUnknownKeys();
        return new ConnectSpec
        {
            Plan = new ConnectPlan { SubProtocols = [.. subProtocols], Origin = origin, Headers = [.. headers], Query = [.. query], TrustedCaPem = trustedCa },
            Secrets = secrets.AsReadOnly(),
        };
    }

    /// <summary>A literal (a template) or a secret by reference; null after an error at its line and column.</summary>
    private static ConnectValuePlan? ReadValue(YNode node, string path, Diagnostics d, string baseDir, List<ConnectSecretSpec> secrets)
    {
        if (node is YScalar { IsNull: false } scalar)
        {
            var text = scalar.Value;
            if (!ConnectRules.IsHeaderValue(text))
            {
                d.Add(node, path, "the value contains a line break or another control character");
                return null;
            }
            if (text.Contains("{body}", StringComparison.Ordinal))
            {
                d.Add(node, path, $"{{body}} is message padding and means nothing here; a connect value may use {string.Join(", ", Placeholders)}");
                return null;
            }
            return ConnectValuePlan.Literal(text);
        }
        if (node is not YMapping)
        {
            d.Add(node, path, $"expected {ValueForm}, got {node.Describe()}");
            return null;
        }
        var m = MapReader.Open(node, path, d)!;
        ScenarioBinder.RejectInlineSecret(m);
        var (env, file) = ScenarioBinder.ReadSecretReference(m, "SIM_API_KEY");
        m.ReportUnknownKeys();
        if (m.KeyNode("secret") is not null) return null; // refused above: one error is enough
        if ((m.Get("secretEnv") is null) == (m.Get("secretFile") is null))
        {
            d.Add(node, path, "a secret value needs exactly one of secretEnv or secretFile");
            return null;
        }
        if (env is null && file is null) return null; // the reader said why
        var value = env is not null
            ? new ConnectValuePlan { Source = ConnectValueSource.Env, Text = env }
            : new ConnectValuePlan { Source = ConnectValueSource.File, Text = Path.GetFullPath(Path.IsPathRooted(file!) ? file! : Path.Combine(baseDir, file!)) };
        var at = m.Get(env is not null ? "secretEnv" : "secretFile")!;
        secrets.Add(new ConnectSecretSpec(m.PathOf(env is not null ? "secretEnv" : "secretFile"), at.Line, at.Column, value));
        return value;
    }

    /// <summary>The PEM text of the CA certificates in <paramref name="path"/>; null, with why, when there are none to trust.</summary>
    private static string? ReadCaFile(string path, out string? why)
    {
        why = null;
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"cannot read {path}: {e.Message}";
            return null;
        }
        var certificates = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        try { certificates.ImportFromPem(text); }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            why = $"{path} is not a PEM file of certificates: {e.Message}";
            return null;
        }
        if (certificates.Count == 0) why = $"{path} holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)";
        foreach (var certificate in certificates) certificate.Dispose();
        return why is null ? text : null;
    }

    /// <summary>The query parameters the protocol or the token placement writes itself, with who does.</summary>
    private static (string Name, string By)[] OwnedQuery(ProtocolKind protocol, AuthSpec? auth)
    {
        var owned = new List<(string, string)>();
        if (auth?.Send == TokenPlacement.Query) owned.Add(("token", "auth.send: query"));
        if (protocol == ProtocolKind.Signalr) owned.AddRange([("id", "protocol signalr"), ("access_token", "protocol signalr")]);
        if (protocol == ProtocolKind.Socketio) owned.AddRange([("EIO", "protocol socketio"), ("transport", "protocol socketio")]);
        return [.. owned];
    }

    /// <summary>The template filled with sample values, for checks of its form.</summary>
    private static string Sample(string template) => new JsonTemplate(template).Fill(1, 1_700_000_000_000, 0, 0);

    /// <summary>RFC 6454's serialised origin: <c>null</c>, or scheme://host[:port] without user, path, query or fragment.</summary>
    private static bool IsOrigin(string text) =>
        text == "null"
        || (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Host.Length > 0 && uri.UserInfo.Length == 0
            && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && !text.EndsWith('/'));
}
