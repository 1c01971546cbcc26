using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Auth;

/// <summary>Never refreshes: the token expires on the open connection, and token_overstay shows what the server did.</summary>
public sealed class NoRefresh : IRefreshMode
{
    public RefreshMode Mode => RefreshMode.None;
    public bool Refreshes => false;
    public Task RefreshAsync(TokenSession session) => Task.CompletedTask;
}
