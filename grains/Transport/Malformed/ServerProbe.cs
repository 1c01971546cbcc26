namespace SimCluster.Transport.Malformed;

/// <summary>Does the server still accept a new connection: TCP connect, upgrade, and a PING answered.</summary>
public static class ServerProbe
{
    public sealed record Result(bool Accepted, string Detail, TimeSpan Elapsed);

    public static async Task<Result> CheckAsync(ConnectOptions options, TimeSpan within, CancellationToken ct)
    {
        var time = options.Time;
        var started = time.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(within);
        try
        {
            var context = new CaseContext { Connect = options with { ConnectTimeout = within } };
            await using var session = await CaseSession.OpenAsync(context, within, timeout.Token).ConfigureAwait(false);
            await session.SendProbeAsync(timeout.Token).ConfigureAwait(false);
            var answered = await session.WaitAsync(session.ProbeAnswered, timeout.Token).ConfigureAwait(false);
            var elapsed = time.GetElapsedTime(started);
            return answered
                ? new Result(true, $"upgraded and answered a PING in {elapsed.TotalMilliseconds:0} ms", elapsed)
                : new Result(false, session.Reader.Ended ? "upgraded, then dropped the connection" : $"upgraded, but no PONG within {within.TotalSeconds:0.#} s", elapsed);
        }
        catch (ConnectFailedException e)
        {
            return new Result(false, $"{e.Label}: {e.Message}", time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Result(false, $"no answer within {within.TotalSeconds:0.#} s", time.GetElapsedTime(started));
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return new Result(false, e.Message, time.GetElapsedTime(started));
        }
    }
}
