using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Protocols;

namespace SimCluster.Grains.Auth;

/// <summary>
/// In-band refresh for servers of any protocol, from the scenario: refresh.message with <c>{token}</c> where the
/// token goes; a server frame containing refresh.expect (or refresh.reject) answers it. Recognised only while a
/// refresh waits, since such plain text could also be an ordinary message.
/// </summary>
public sealed class TemplateRefreshFrames(AuthPlan plan) : IRefreshFrames
{
    public string Refresh(string token) => plan.RefreshMessage!.Replace("{token}", token, StringComparison.Ordinal);

    public RefreshAnswer? Read(string text, bool waiting) =>
        !waiting ? null
        : text.Contains(plan.RefreshedWhen!, StringComparison.Ordinal) ? RefreshAnswer.Refreshed
        : plan.RejectedWhen is { } rejected && text.Contains(rejected, StringComparison.Ordinal) ? RefreshAnswer.Rejected
        : null;
}
