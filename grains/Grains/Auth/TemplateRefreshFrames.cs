using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Protocols;

namespace SimCluster.Grains.Auth;

/// <summary>
/// In-band refresh for servers of any protocol, from the scenario: refresh.message with <c>{token}</c> where the
/// token goes; a server frame containing refresh.expect (or refresh.reject) answers it. Recognised only while a
/// refresh waits, since such plain text could also be an ordinary message.
/// The keys live in auth.refresh (any protocol) or in the json block's refresh (<c>protocol: json</c>).
/// </summary>
public sealed class TemplateRefreshFrames(string message, string expect, string? reject) : IRefreshFrames
{
    public TemplateRefreshFrames(AuthPlan plan) : this(plan.RefreshMessage!, plan.RefreshedWhen!, plan.RejectedWhen) { }

    public string Refresh(string token) => message.Replace("{token}", token, StringComparison.Ordinal);

    public RefreshAnswer? Read(string text, bool waiting) =>
        !waiting ? null
        : text.Contains(expect, StringComparison.Ordinal) ? RefreshAnswer.Refreshed
        : reject is { } rejected && text.Contains(rejected, StringComparison.Ordinal) ? RefreshAnswer.Rejected
        : null;
}
