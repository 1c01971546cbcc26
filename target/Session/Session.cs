namespace SimCluster.Target;

/// <summary>
/// State of one session-protocol session, kept across reconnects: sequence numbers in both directions, the
/// buffer of unacknowledged server messages, and the connection that currently owns it. Two connections
/// (make-before-break) and the push timer can touch it at once, so every member takes <see cref="_gate"/>;
/// nothing awaits while holding it.
/// </summary>
internal sealed class Session
{
    // Client messages accepted ahead of a gap; beyond this the client is misbehaving (close 1008).
    internal const int MaxClientAhead = 10_000;

    private readonly Lock _gate = new();
    private readonly TargetStats _stats;
    private readonly int _bufferLimit;
    private readonly Queue<BufferedMessage> _unacked = new();
    private SortedSet<long>? _clientAhead;
    private long _lastServerSeq;
    private long _clientContiguous;
    private SessionProtocolHandler? _current;
    private long _detachedAt;
    private bool _removed;

    public Session(string id, TargetStats stats, int bufferLimit)
    {
        Id = id;
        _stats = stats;
        _bufferLimit = bufferLimit;
        _detachedAt = Environment.TickCount64;
    }

    public string Id { get; }

    /// <summary>Fractional pushes owed to this session; only the store's timer thread touches it.</summary>
    internal double PushCredit;

    internal Lock Gate => _gate;

    /// <summary>
    /// Makes <paramref name="handler"/> the session's connection: queues welcome, then replays buffered server
    /// messages after the client's lastSeq. Returns false when the session has expired (caller starts a new one).
    /// </summary>
    public bool TryAttach(SessionProtocolHandler handler, long clientLastSeq, long now, long windowMs, out SessionProtocolHandler? superseded)
    {
        lock (_gate)
        {
            superseded = null;
            if (_removed || (_current is null && now - _detachedAt >= windowMs))
            {
                _removed = true;
                return false;
            }

            AttachLocked(handler, clientLastSeq, resumed: true, out superseded);
            return true;
        }
    }

    /// <summary>Attach for a brand-new session; the caller holds <see cref="Gate"/> while publishing it.</summary>
    public void AttachNewLocked(SessionProtocolHandler handler, long clientLastSeq) =>
        AttachLocked(handler, clientLastSeq, resumed: false, out _);

    private void AttachLocked(SessionProtocolHandler handler, long clientLastSeq, bool resumed, out SessionProtocolHandler? superseded)
    {
        superseded = _current;
        if (superseded is null)
        {
            Interlocked.Increment(ref _stats.SessionsActive);
        }

        _current = handler;

        // The client's lastSeq is an implicit acknowledgement: it already has those.
        AckLocked(clientLastSeq);

        handler.Enqueue(SessionFrames.Welcome(Id, resumed, resumed ? _clientContiguous : 0));
        var replayed = 0;
        foreach (var message in _unacked)
        {
            if (message.Seq > clientLastSeq)
            {
                handler.Enqueue(message.Frame);
                replayed++;
            }
        }

        if (replayed > 0)
        {
            Interlocked.Add(ref _stats.ReplayedMessages, replayed);
        }
    }

    /// <summary>Result of a client message.</summary>
    public enum ClientMessageResult
    {
        Echoed,
        Duplicate,
        TooFarAhead,
    }

    /// <summary>Echoes client message <paramref name="seq"/> once; repeats are dropped and counted.</summary>
    public ClientMessageResult OnClientMessage(long seq, ReadOnlySpan<byte> rawTs, ReadOnlySpan<byte> rawBody)
    {
        lock (_gate)
        {
            if (seq <= _clientContiguous || (_clientAhead is not null && _clientAhead.Contains(seq)))
            {
                Interlocked.Increment(ref _stats.DuplicatesDropped);
                return ClientMessageResult.Duplicate;
            }

            if (seq == _clientContiguous + 1)
            {
                _clientContiguous = seq;
                while (_clientAhead is { Count: > 0 } && _clientAhead.Min == _clientContiguous + 1)
                {
                    _clientContiguous++;
                    _clientAhead.Remove(_clientContiguous);
                }
            }
            else
            {
                _clientAhead ??= [];
                if (_clientAhead.Count >= MaxClientAhead)
                {
                    return ClientMessageResult.TooFarAhead;
                }

                _clientAhead.Add(seq);
            }

            var serverSeq = ++_lastServerSeq;
            SendLocked(serverSeq, SessionFrames.Echo(serverSeq, seq, rawTs, rawBody));
            return ClientMessageResult.Echoed;
        }
    }

    /// <summary>Server-originated messages; buffered even while no connection is attached, for replay on resume.</summary>
    public void Push(int count, long unixMs)
    {
        lock (_gate)
        {
            if (_removed)
            {
                return;
            }

            for (var i = 0; i < count; i++)
            {
                var serverSeq = ++_lastServerSeq;
                SendLocked(serverSeq, SessionFrames.Push(serverSeq, unixMs));
            }
        }

        Interlocked.Add(ref _stats.PushedMessages, count);
    }

    public void Ack(long seq)
    {
        lock (_gate)
        {
            AckLocked(seq);
        }
    }

    /// <summary>The connection ended; the resume window starts if it was the session's current one.</summary>
    public void Detach(SessionProtocolHandler handler)
    {
        lock (_gate)
        {
            if (_current != handler)
            {
                return;
            }

            _current = null;
            _detachedAt = Environment.TickCount64;
            Interlocked.Decrement(ref _stats.SessionsActive);
        }
    }

    /// <summary>Marks the session removed if nobody is attached and the window has passed.</summary>
    public bool TryExpire(long now, long windowMs)
    {
        lock (_gate)
        {
            if (_removed)
            {
                return true;
            }

            if (_current is null && now - _detachedAt >= windowMs)
            {
                _removed = true;
                _unacked.Clear();
                return true;
            }

            return false;
        }
    }

    private void SendLocked(long serverSeq, byte[] frame)
    {
        if (_bufferLimit > 0)
        {
            if (_unacked.Count >= _bufferLimit)
            {
                _unacked.Dequeue();
                Interlocked.Increment(ref _stats.SessionBufferOverflows);
            }

            _unacked.Enqueue(new BufferedMessage(serverSeq, frame));
        }

        // Enqueued under the lock so each connection sees server seqs in order.
        _current?.Enqueue(frame);
    }

    private void AckLocked(long seq)
    {
        while (_unacked.Count > 0 && _unacked.Peek().Seq <= seq)
        {
            _unacked.Dequeue();
        }
    }

    private readonly record struct BufferedMessage(long Seq, byte[] Frame);
}
