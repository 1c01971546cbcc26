namespace SimCluster.Transport.Malformed;

/// <summary>Every variant of one case against one server.</summary>
public sealed record CaseRun
{
    public required MalformedCase Case { get; init; }

    /// <summary>One observation per variant that could run.</summary>
    public required IReadOnlyList<Observation> Observations { get; init; }

    /// <summary>Set when the case could not connect (refused, the normal upgrade answered with an error): the server may be down.</summary>
    public ConnectFailedException? ConnectError { get; init; }

    /// <summary>A fault in the tool itself (never a verdict on the server).</summary>
    public string? ToolError { get; init; }

    public TimeSpan Elapsed { get; init; }
}

/// <summary>Runs a case's variants one after another, each on its own connection, and never throws for what a server does.</summary>
public static class CaseRunner
{
    public static async Task<CaseRun> RunAsync(MalformedCase @case, CaseContext context, CancellationToken ct)
    {
        var started = context.Time.GetTimestamp();
        var observations = new List<Observation>();
        foreach (var variant in @case.Variants)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                observations.Add(await @case.RunAsync(context, variant, ct).ConfigureAwait(false));
            }
            catch (ConnectFailedException e)
            {
                return new CaseRun { Case = @case, Observations = observations, ConnectError = e, Elapsed = context.Time.GetElapsedTime(started) };
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is not OperationCanceledException)
            {
                return new CaseRun { Case = @case, Observations = observations, ToolError = $"{e.GetType().Name}: {e.Message}", Elapsed = context.Time.GetElapsedTime(started) };
            }
        }
        return new CaseRun { Case = @case, Observations = observations, Elapsed = context.Time.GetElapsedTime(started) };
    }
}
