using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Transport;

namespace SimCluster.Grains.Auth;

/// <summary>The server's answer to one auth.refresh.</summary>
public enum RefreshAnswer { Refreshed, Rejected, TimedOut, NotConnected }

/// <summary>
/// One client's tokens: the token for the next connect (query parameter or Authorization header), the refresh
/// timer of the open connection (the refresh mode decides what a refresh is), the answers to in-band refreshes,
/// and what happens around expiry: server closes for expiry (4001), and how long a connection outlived its
/// token (token_overstay). Plain class, no Orleans; timers and socket threads call in, state is under a lock.
/// A reconnect refresh is handed to the grain through the callback given at construction.
/// </summary>
public sealed class TokenSession : IDisposable
{
    private readonly ITokenSource _source;
    private readonly IRefreshMode _mode;
    private readonly IRefreshFrames? _frames;
    private readonly ITokenCarrier? _carrier;
    private readonly int _clientIndex;
    private readonly Action<long> _reconnect;
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromMilliseconds(100);
    private readonly object _gate = new();

    private IssuedToken? _token;          // the token the server holds for the current (or next) connection
    private SimulatedConnection? _connection;
    private ITimer? _timer;
    private TaskCompletionSource<RefreshAnswer>? _pending;
    private Task _exchange = Task.CompletedTask;
    private bool _draining;
    private long? _reconnectStartedAt;
    private int _generation;

    /// <param name="protocolFrames">The protocol's in-band refresh frames (null: it has none); the scenario's refresh.message replaces them.</param>
    /// <param name="reconnect">Asks the grain (on its scheduler) to reconnect; gets the refresh start timestamp.</param>
    public TokenSession(AuthPlan plan, ITokenSource source, IRefreshMode mode, IRefreshFrames? protocolFrames, ITokenCarrier? carrier, int clientIndex, GroupRecorder metrics, TimeProvider time, Action<long> reconnect)
    {
        Plan = plan;
        _source = source;
        _mode = mode;
        _carrier = carrier;
        _frames = plan.RefreshMessage is not null ? new TemplateRefreshFrames(plan) : protocolFrames;
        if (mode.Mode == RefreshMode.InBand && _frames is null)
            throw new ArgumentException("an in-band refresh needs a protocol with refresh frames or refresh.message", nameof(protocolFrames));
        _clientIndex = clientIndex;
        Metrics = metrics;
        Time = time;
        _reconnect = reconnect;
    }

    public AuthPlan Plan { get; }
    public GroupRecorder Metrics { get; }
    public TimeProvider Time { get; }

    /// <summary>The token of the open connection (or the next one).</summary>
    public IssuedToken? Current { get { lock (_gate) return _token; } }

    /// <summary>
    /// The connect options with a token applied: the current one while it has more than refresh.before left
    /// (or, without refresh, has not expired), else a new one. Throws <see cref="TokenUnavailableException"/>.
    /// </summary>
    public async Task<ConnectOptions> PrepareConnectAsync(ConnectOptions options)
    {
        IssuedToken? token;
        lock (_gate) token = _token;
        var margin = _mode.Refreshes ? Plan.Before : TimeSpan.Zero;
        if (token is null || token.ExpiresAt - ClientClock.Now(Time, Plan) <= margin)
        {
            token = await IssueAsync().ConfigureAwait(false);
            lock (_gate) _token = token;
        }
        return Apply(options, token);
    }

    /// <summary>Puts the token into the upgrade request (<c>?token=</c> or <c>Authorization: Bearer</c>), or hands it to the protocol.</summary>
    public ConnectOptions Apply(ConnectOptions options, IssuedToken token)
    {
        if (Plan.Send == TokenPlacement.Protocol)
            return (_carrier ?? throw new InvalidOperationException("auth.send: protocol with a protocol that has no place for a token (the validator refuses it)")).Carry(options, token.Value);
        if (Plan.Send == TokenPlacement.Header)
            return options with { Headers = [.. options.Headers, new("Authorization", "Bearer " + token.Value)] };
        var target = new UriBuilder(options.Target);
        var query = target.Query.TrimStart('?');
        target.Query = (query.Length > 0 ? query + "&" : "") + "token=" + Uri.EscapeDataString(token.Value);
        return options with { Target = target.Uri };
    }

    /// <summary>A new token, timed (token_fetch_time); failures counted in token_fetch_failures and rethrown.</summary>
    public async Task<IssuedToken> IssueAsync()
    {
        var started = Time.GetTimestamp();
        try
        {
            var token = await _source.IssueAsync(_clientIndex, CancellationToken.None).ConfigureAwait(false);
            Metrics.Record(MetricNames.TokenFetchTime, Time.GetElapsedTime(started));
            return token;
        }
        catch (TokenUnavailableException)
        {
            Metrics.Count(MetricNames.TokenFetchFailures);
            throw;
        }
    }

    /// <summary>Like <see cref="IssueAsync"/>, but null instead of an exception.</summary>
    /// <summary>The start of a refresh: its start time and the new token, or null (counted as a refresh failure) when none could be had.</summary>
    public async Task<(IssuedToken? Token, long Started)> BeginRefreshAsync()
    {
        var started = Time.GetTimestamp();
        var token = await TryIssueAsync().ConfigureAwait(false);
        if (token is null) Metrics.Count(MetricNames.TokenRefreshFailures);
        return (token, started);
    }

    public async Task<IssuedToken?> TryIssueAsync()
    {
        try { return await IssueAsync().ConfigureAwait(false); }
        catch (TokenUnavailableException) { return null; }
    }

    /// <summary>A connection opened with <see cref="Current"/>: schedule its refresh.</summary>
    public void Opened(SimulatedConnection connection)
    {
        lock (_gate)
        {
            _connection = connection;
            _generation++;
            if (_reconnectStartedAt is { } started)
            {
                Metrics.Count(MetricNames.TokenRefreshes);
                Metrics.Record(MetricNames.TokenRefreshTime, Time.GetElapsedTime(started));
                _reconnectStartedAt = null;
            }
            ScheduleLocked();
        }
    }

    /// <summary>Schedules the next refresh for the current token (after a successful in-band refresh).</summary>
    public void ScheduleNext()
    {
        lock (_gate) ScheduleLocked();
    }

    private void ScheduleLocked()
    {
        _timer?.Dispose();
        _timer = null;
        if (_draining || !_mode.Refreshes || _token is not { } token || _connection is null) return;
        var actAt = Plan.Late is { } late ? token.ExpiresAt + late : token.ExpiresAt - Plan.Before;
        var due = actAt - ClientClock.Now(Time, Plan);
        var generation = _generation;
        _timer = Time.CreateTimer(_ => Start(generation), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Starts a refresh, unless the stop's drain came first: either the drain sees this exchange, or it never starts.</summary>
    private void Start(int generation)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_draining) return;
            _exchange = done.Task;
        }
        _ = RunAsync(generation, done);
    }

    private async Task RunAsync(int generation, TaskCompletionSource done)
    {
        try { await RefreshAsync(generation).ConfigureAwait(false); }
        finally { done.TrySetResult(); }
    }

    /// <summary>
    /// The run is over: no refresh starts from now on, and the one in flight (a refresh, a replay of the old token)
    /// gets its answer within <paramref name="grace"/>, so what the server counted of it the client counts too.
    /// </summary>
    public async Task DrainAsync(TimeSpan grace)
    {
        Task exchange;
        lock (_gate)
        {
            _draining = true;
            _timer?.Dispose();
            _timer = null;
            exchange = _exchange;
        }
        try { await exchange.WaitAsync(grace, Time).ConfigureAwait(false); }
        catch (TimeoutException) { }
    }

    private async Task RefreshAsync(int generation)
    {
        lock (_gate)
        {
            if (generation != _generation || _connection is null) return;
        }
        try { await _mode.RefreshAsync(this).ConfigureAwait(false); }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            Metrics.Count(MetricNames.TokenRefreshFailures);
        }
    }

    /// <summary>Sends auth.refresh with <paramref name="token"/> and waits (bounded) for the answer.</summary>
    public async Task<RefreshAnswer> SendRefreshAsync(IssuedToken token)
    {
        TaskCompletionSource<RefreshAnswer> pending;
        SimulatedConnection? connection;
        lock (_gate)
        {
            connection = _connection;
            if (connection is null) return RefreshAnswer.NotConnected;
            pending = _pending = new TaskCompletionSource<RefreshAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (!connection.Send(_frames!.Refresh(token.Value)))
        {
            lock (_gate) if (ReferenceEquals(_pending, pending)) _pending = null;
            return RefreshAnswer.NotConnected;
        }
        try
        {
            return await pending.Task.WaitAsync(Plan.RefreshTimeout, Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return RefreshAnswer.TimedOut;
        }
        finally
        {
            lock (_gate) if (ReferenceEquals(_pending, pending)) _pending = null;
        }
    }

    /// <summary>The server took <paramref name="token"/>: it is the connection's token from now on.</summary>
    public void Adopt(IssuedToken token)
    {
        IssuedToken? previous;
        lock (_gate)
        {
            previous = _token;
            _token = token;
        }
        // A refresh after exp that the server still took: the connection outlived its token until now.
        if (previous is not null && ClientClock.Now(Time, Plan) - previous.ExpiresAt is var overstay && overstay > TimeSpan.Zero)
        {
            Metrics.Count(MetricNames.TokensOutlived);
            Metrics.Record(MetricNames.TokenOverstay, overstay);
        }
    }

    /// <summary>Reconnect refresh: the next connect uses <paramref name="token"/>; the grain closes and reopens.</summary>
    public void ReconnectWith(IssuedToken token, long startedAt)
    {
        lock (_gate)
        {
            if (_connection is null) return;
            _token = token;
            _reconnectStartedAt = startedAt;
        }
        _reconnect(startedAt);
    }

    /// <summary>Consumes the server's answers to in-band refreshes; false for every other frame (the protocol handles those).</summary>
    public bool OnText(string text)
    {
        if (_frames is null) return false;
        TaskCompletionSource<RefreshAnswer>? pending;
        lock (_gate) pending = _pending;
        if (_frames.Read(text, waiting: pending is not null) is not { } answer) return false;
        pending?.TrySetResult(answer);
        return true;
    }

    /// <summary>
    /// The connection ended (any way). A server close 4001 counts in expired_closes (and expired_closes_early
    /// when it came before exp by the client's clock); a connection that outlived its token is a token_overstay
    /// sample. Returns whether the token had expired (a server close is then legitimate, not a false disconnect).
    /// </summary>
    /// <param name="quietExpiryClose">
    /// The server closed the connection, and its protocol closes at expiry without a code of its own (SignalR's
    /// CloseOnAuthenticationExpiration): after exp that close is the expiry close.
    /// </param>
    public bool Ended(int? serverCloseCode, bool quietExpiryClose = false)
    {
        IssuedToken? token;
        lock (_gate)
        {
            if (_connection is null) return false;
            _connection = null;
            _generation++;
            _timer?.Dispose();
            _timer = null;
            _pending?.TrySetResult(RefreshAnswer.NotConnected);
            _pending = null;
            token = _token;
        }
        if (token is null) return false;
        var overstay = ClientClock.Now(Time, Plan) - token.ExpiresAt;
        // A server that closes right at exp can be a few ms ahead of the client's clock reading: not "early".
        var expired = overstay >= -EarlyTolerance;
        if (serverCloseCode == 4001 || (quietExpiryClose && expired))
        {
            Metrics.Count(MetricNames.ExpiredCloses);
            if (!expired) Metrics.Count(MetricNames.ExpiredClosesEarly);
        }
        if (expired)
        {
            Metrics.Count(MetricNames.TokensOutlived);
            Metrics.Record(MetricNames.TokenOverstay, overstay < TimeSpan.Zero ? TimeSpan.Zero : overstay);
        }
        return expired;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            _pending?.TrySetResult(RefreshAnswer.NotConnected);
            _connection = null;
        }
    }
}
