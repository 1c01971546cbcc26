using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Auth;

/// <summary>
/// How a client renews its token while connected: <c>in-band</c> (an auth.refresh frame on the open connection),
/// <c>reconnect</c> (a new connection with a new token), <c>none</c> (let it expire and watch what the server does).
/// </summary>
public interface IRefreshMode
{
    RefreshMode Mode { get; }

    /// <summary>Whether this mode acts before expiry at all (false: the token is left to expire).</summary>
    bool Refreshes { get; }

    /// <summary>Renews the token of <paramref name="session"/>'s open connection; records its own metrics.</summary>
    Task RefreshAsync(TokenSession session);
}

/// <summary>Refresh modes by the plan's <see cref="RefreshMode"/>.</summary>
public static class RefreshModes
{
    private static readonly Dictionary<RefreshMode, Func<IRefreshMode>> Factories = new()
    {
        [RefreshMode.InBand] = () => new InBandRefresh(),
        [RefreshMode.Reconnect] = () => new ReconnectRefresh(),
        [RefreshMode.None] = () => new NoRefresh(),
    };

    public static IReadOnlyCollection<RefreshMode> Modes => Factories.Keys;

    public static IRefreshMode Create(RefreshMode mode) =>
        Factories.TryGetValue(mode, out var factory) ? factory() : throw new ArgumentOutOfRangeException(nameof(mode), mode, "no refresh mode of this kind in this build");
}
