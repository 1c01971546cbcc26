namespace SimCluster.Grains.Auth;

/// <summary>
/// How a client renews its token while connected: <c>in-band</c> (an auth.refresh frame on the open connection),
/// <c>reconnect</c> (a new connection with a new token), <c>none</c> (let it expire and watch what the server does).
/// </summary>
public interface IRefreshMode
{
    string Name { get; }

    /// <summary>Whether this mode acts before expiry at all (false: the token is left to expire).</summary>
    bool Refreshes { get; }

    /// <summary>Renews the token of <paramref name="session"/>'s open connection; records its own metrics.</summary>
    Task RefreshAsync(TokenSession session);
}

/// <summary>Refresh modes by name, as in the scenario.</summary>
public static class RefreshModes
{
    private static readonly Dictionary<string, Func<IRefreshMode>> Factories = new(StringComparer.Ordinal)
    {
        ["in-band"] = () => new InBandRefresh(),
        ["reconnect"] = () => new ReconnectRefresh(),
        ["none"] = () => new NoRefresh(),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static IRefreshMode Create(string name) =>
        Factories.TryGetValue(name, out var factory) ? factory() : throw new ArgumentException($"unknown refresh mode '{name}'", nameof(name));
}
