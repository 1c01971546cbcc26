namespace SimCluster.Abstractions.Plans;

/// <summary>Where a connect value comes from: the scenario's own text, or a secret the plan only names.</summary>
public enum ConnectValueSource
{
    /// <summary>Written in the scenario; <c>{client}</c>, <c>{seq}</c> and <c>{ts}</c> are filled in per connect.</summary>
    Literal,
    /// <summary>The value of an environment variable, read by each silo itself.</summary>
    Env,
    /// <summary>The contents of a file (an absolute path; trailing line breaks dropped), read by each silo itself.</summary>
    File,
}

/// <summary>
/// One value of the <c>connect:</c> block. A secret (<see cref="ConnectValueSource.Env"/>, <see cref="ConnectValueSource.File"/>)
/// is never in the plan: <see cref="Text"/> is then the variable's name or the file's path.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ConnectValuePlan
{
    [Id(0)] public ConnectValueSource Source { get; init; }
    /// <summary>The literal template, the environment variable's name, or the file's absolute path.</summary>
    [Id(1)] public required string Text { get; init; }

    public static ConnectValuePlan Literal(string text) => new() { Text = text };
}

/// <summary>A request header or query parameter of the upgrade: its name and where its value comes from.</summary>
[GenerateSerializer, Immutable]
public sealed record ConnectParameterPlan
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required ConnectValuePlan Value { get; init; }
}

/// <summary>
/// The <c>connect:</c> block every protocol shares: the subprotocols offered (the server must pick one of them),
/// extra request headers and <c>Origin</c>, query parameters appended to the target URL (and so to SignalR's
/// negotiate request), and the certificate authorities a <c>wss://</c> server is checked against. The empty plan
/// changes nothing.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ConnectPlan
{
    /// <summary>Offered in <c>Sec-WebSocket-Protocol</c> after the protocol's own; non-empty: the server must choose one.</summary>
    [Id(0)] public string[] SubProtocols { get; init; } = [];
    /// <summary>The <c>Origin</c> header; null: none sent.</summary>
    [Id(1)] public ConnectValuePlan? Origin { get; init; }
    /// <summary>Extra request headers, in the scenario's order (never Host, Upgrade, Connection or Sec-WebSocket-*).</summary>
    [Id(2)] public ConnectParameterPlan[] Headers { get; init; } = [];
    /// <summary>Query parameters appended to the target URL, in the scenario's order.</summary>
    [Id(3)] public ConnectParameterPlan[] Query { get; init; } = [];
    /// <summary>
    /// PEM text of the certificate authorities a <c>wss://</c> server's certificate must chain to, instead of the
    /// system's (a private CA, a test server's own); null: the system's trust store. Certificates are public: the
    /// text travels in the plan, so every silo checks against the same roots.
    /// </summary>
    [Id(4)] public string? TrustedCaPem { get; init; }

    public bool IsEmpty => SubProtocols.Length == 0 && Origin is null && Headers.Length == 0 && Query.Length == 0 && TrustedCaPem is null;
}

/// <summary>What the <c>connect:</c> block may not set, shared by the validator and the code that builds the request.</summary>
public static class ConnectRules
{
    /// <summary>Headers the WebSocket client writes itself (the handshake) or that would break the GET (hop-by-hop, framing).</summary>
    private static readonly HashSet<string> Owned = new(
        ["Host", "Upgrade", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Content-Length"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>Null when <paramref name="name"/> may be sent as an extra header; otherwise why not.</summary>
    public static string? RefusedHeader(string name)
    {
        if (!IsToken(name)) return $"'{name}' is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)";
        if (name.StartsWith("Sec-WebSocket-", StringComparison.OrdinalIgnoreCase))
            return $"{name} belongs to the WebSocket handshake, which the client writes itself" + (name.Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase) ? " (offer subprotocols with connect.subprotocols)" : "");
        if (name.Equals("Origin", StringComparison.OrdinalIgnoreCase)) return "give the Origin header as connect.origin";
        if (Owned.Contains(name)) return $"{name} is a handshake or hop-by-hop header the WebSocket client owns";
        return null;
    }

    /// <summary>An RFC 7230 token: a header name or a subprotocol name.</summary>
    public static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
            || "!#$%&'*+-.^_`|~".Contains(c));

    /// <summary>True when a header value may go on the wire as it is: no line breaks or other control characters but tab.</summary>
    public static bool IsHeaderValue(string value) => !value.Any(c => c is < ' ' and not '\t' or '\x7f');
}
