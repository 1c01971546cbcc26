using System.Collections.Concurrent;

namespace SimCluster.Target;

/// <summary>
/// Live counters of one target. Hot-path counters are plain fields bumped with Interlocked (no locks);
/// the dictionaries are touched once per connection, never per message.
/// </summary>
internal sealed class TargetStats
{
    /// <summary>Most distinct remote addresses tracked; the rest share the "other" bucket.</summary>
    internal const int MaxSourceAddresses = 1_000;
    internal const string OtherSourceAddress = "other";

    // Keys for server-initiated aborts (no close code exists for them).
    internal const string AbortHeartbeat = "abort:heartbeat";
    internal const string AbortSlowConsumer = "abort:slow-consumer";
    internal const string AbortShutdown = "abort:shutdown";

    public long OpenConnections;
    public long Upgrades;
    public long RejectedHandshakes;
    public long MessagesIn;
    public long MessagesOut;
    public long BytesIn;
    public long BytesOut;
    public long Aborted;

    public long SessionsActive;
    public long SessionsCreated;
    public long SessionsResumed;
    public long SessionsExpired;
    public long SessionsForgotten;
    public long ReplayedMessages;
    public long DuplicatesDropped;
    public long SessionBufferOverflows;
    public long Superseded;
    public long InvalidMessages;
    public long UnknownTypes;
    public long PushedMessages;

    public long AuthRejectedHandshakes;
    public long TokenRefreshes;
    public long TokenRefreshesRejected;
    public long ExpiredCloses;

    public readonly DateTimeOffset StartedAt = DateTimeOffset.UtcNow;

    private readonly ConcurrentDictionary<string, long> _byCode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _serverInitiated = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _clientInitiated = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _sourceAddresses = new(StringComparer.Ordinal);
    private int _sourceAddressCount;

    // Cached keys so a close does not format an int each time.
    private static readonly string[] CodeKeys = Enumerable.Range(1000, 16).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    internal static string CodeKey(int code) =>
        code is >= 1000 and < 1016 ? CodeKeys[code - 1000] : code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void RecordMessageIn(int bytes)
    {
        Interlocked.Increment(ref MessagesIn);
        Interlocked.Add(ref BytesIn, bytes);
    }

    public void RecordMessageOut(int bytes)
    {
        Interlocked.Increment(ref MessagesOut);
        Interlocked.Add(ref BytesOut, bytes);
    }

    public void RecordServerClose(int code)
    {
        var key = CodeKey(code);
        _serverInitiated.AddOrUpdate(key, 1, static (_, n) => n + 1);
        _byCode.AddOrUpdate(key, 1, static (_, n) => n + 1);
    }

    public void RecordClientClose(int code)
    {
        var key = CodeKey(code);
        _clientInitiated.AddOrUpdate(key, 1, static (_, n) => n + 1);
        _byCode.AddOrUpdate(key, 1, static (_, n) => n + 1);
    }

    /// <summary>The server gave up on a connection without a close handshake (e.g. heartbeat timeout).</summary>
    public void RecordServerAbort(string key)
    {
        _serverInitiated.AddOrUpdate(key, 1, static (_, n) => n + 1);
        Interlocked.Increment(ref Aborted);
    }

    /// <summary>The connection ended without a close handshake and not by the server's choice.</summary>
    public void RecordAbort() => Interlocked.Increment(ref Aborted);

    public void RecordSourceAddress(string address)
    {
        // The cap is checked with our own counter: ConcurrentDictionary.Count takes every lock.
        if (!_sourceAddresses.ContainsKey(address) && Volatile.Read(ref _sourceAddressCount) >= MaxSourceAddresses)
        {
            address = OtherSourceAddress;
        }
        else if (_sourceAddresses.TryAdd(address, 0) && address != OtherSourceAddress)
        {
            Interlocked.Increment(ref _sourceAddressCount);
        }

        _sourceAddresses.AddOrUpdate(address, 1, static (_, n) => n + 1);
    }

    public Dictionary<string, long> ByCode => Copy(_byCode);
    public Dictionary<string, long> ServerInitiated => Copy(_serverInitiated);
    public Dictionary<string, long> ClientInitiated => Copy(_clientInitiated);
    public Dictionary<string, long> SourceAddresses => Copy(_sourceAddresses);

    private static Dictionary<string, long> Copy(ConcurrentDictionary<string, long> source)
    {
        var copy = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in source)
        {
            if (value != 0)
            {
                copy[key] = value;
            }
        }

        return copy;
    }
}
