using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Auth;

/// <summary>
/// JWTs signed here (HS256/384/512 or RS256/384/512), subject <c>client-N</c>. Failure injection: a share of
/// tokens signed with a key the target does not know, a client clock that is off, and expiry aligned to
/// one grid for every client (a refresh storm).
/// </summary>
public sealed class MintedTokenSource(AuthPlan plan, TimeProvider time, Random random) : ITokenSource
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public Task<IssuedToken> IssueAsync(int clientIndex, CancellationToken ct)
    {
        var now = ClientClock.Now(time, plan);
        var expires = plan.AlignedExpiry ? AlignedExpiry(now) : now + plan.Lifetime;
        bool forged;
        lock (random) forged = plan.BadSignature > 0 && random.NextDouble() < plan.BadSignature;
        var key = forged ? SigningKeys.ForgedFor(plan.Algorithm) : SigningKeys.For(plan);
        var descriptor = new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", $"client-{clientIndex}")]),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(key, plan.Algorithm),
            Claims = new Dictionary<string, object> { ["jti"] = Guid.NewGuid().ToString("N") },
        };
        var token = Handler.CreateToken(descriptor);
        // JWT times are whole seconds; the client's view of expiry is the one the server reads.
        var exp = DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds());
        return Task.FromResult(new IssuedToken(token, exp));
    }

    /// <summary>The next grid instant (multiples of the lifetime since the epoch) at least refresh.before plus a second away.</summary>
    private DateTimeOffset AlignedExpiry(DateTimeOffset now)
    {
        var lifetimeMs = (long)plan.Lifetime.TotalMilliseconds;
        var earliest = (now + plan.Before + TimeSpan.FromSeconds(1)).ToUnixTimeMilliseconds();
        var grid = (earliest + lifetimeMs - 1) / lifetimeMs * lifetimeMs;
        return DateTimeOffset.FromUnixTimeMilliseconds(grid);
    }
}

/// <summary>The client's clock: the real one moved by the clock-skew injection.</summary>
public static class ClientClock
{
    public static DateTimeOffset Now(TimeProvider time, AuthPlan plan) => time.GetUtcNow() + plan.ClockOffset;
}
