using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// A run's server-sent events, kept so that a dropped stream resumes where it left off (Last-Event-ID): events
/// after an id, in id order, each once. Bounded: beyond <see cref="MaxEvents"/> the oldest progress events go
/// (each is a full snapshot, so a resume that far back loses only superseded numbers; cases and completed stay).
/// </summary>
public sealed class ApiRunEventLog
{
    /// <summary>An hour of progress at one a second.</summary>
    public const int MaxEvents = 3600;

    private readonly List<ApiRunEvent> _events = [];

    public long LastId => _events.Count == 0 ? 0 : _events[^1].Id;

    public bool Completed => _events.Count > 0 && _events[^1].Kind == ApiRunEventKind.Completed;

    /// <summary>Adds events with ids above the last one; a repeated or out-of-order id (a retried publish) is ignored.</summary>
    public void Append(IEnumerable<ApiRunEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Id <= LastId || Completed) continue;
            _events.Add(e);
        }
        var excess = _events.Count - MaxEvents;
        if (excess <= 0) return;
        var drop = _events.Where(e => e.Kind == ApiRunEventKind.Progress).Take(excess).ToHashSet();
        _events.RemoveAll(drop.Contains);
    }

    /// <summary>
    /// The events after <paramref name="afterId"/>; for a new stream (null) the latest progress, the latest cases
    /// and the completed event, those that exist, in id order.
    /// </summary>
    public ApiRunEvent[] After(long? afterId)
    {
        if (afterId is { } after) return [.. _events.Where(e => e.Id > after)];
        return [.. new[] { ApiRunEventKind.Progress, ApiRunEventKind.Cases, ApiRunEventKind.Completed }
            .Select(kind => _events.LastOrDefault(e => e.Kind == kind))
            .OfType<ApiRunEvent>()
            .OrderBy(e => e.Id)];
    }
}
