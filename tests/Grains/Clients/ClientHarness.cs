using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Clients;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Transport;

namespace SimCluster.Tests.Grains.Clients;

/// <summary>
/// A <see cref="ClientRuntime"/> on fake time with fake connections and fake traffic: the test plays the server
/// (accepts or refuses each connect, closes, gives up on held sockets) and runs the client's turns itself, in order.
/// Everything the client does to its connections and its traffic lands in <see cref="Log"/>, in order.
/// </summary>
internal sealed class ClientHarness
{
    public static readonly DateTimeOffset Epoch = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; } = new(Epoch);
    public GroupRecorder Metrics { get; } = new("g");
    public List<string> Log { get; } = [];
    public Turns ClientTurns { get; } = new();
    public Connections Opener { get; }
    public FakeProtocol Traffic { get; }
    public ClientRuntime Client { get; }

    public ClientHarness(GroupPlan group, Func<RunPlan, RunPlan>? adjust = null)
    {
        Opener = new Connections(Log);
        Traffic = new FakeProtocol(Log);
        var plan = new RunPlan
        {
            RunId = "run",
            ScenarioName = "unit",
            Seed = 7,
            TargetUrls = ["ws://127.0.0.1:9/ws"],
            Clients = 1,
            Duration = TimeSpan.FromMinutes(10),
            Reconnect = new ReconnectPlan { Policy = "fixed", Base = TimeSpan.FromMilliseconds(100), Jitter = JitterKind.None },
            Groups = [group with { FirstClient = 0, Clients = 1 }],
            TimelineClients = [0],
        };
        plan = adjust?.Invoke(plan) ?? plan;
        Client = new ClientRuntime(new ClientSetup(plan, 0, SourceSlot.Whole(0), Metrics, Time, Time, ClientTurns, Opener, new SiloCaseResults(), _ => Traffic));
    }

    public static GroupPlan Group(string behavior) => new() { Name = "g", Behavior = behavior, FirstClient = 0, Clients = 1 };

    /// <summary>Starts the client now and runs its first turns (it asks for its first connection).</summary>
    public ClientHarness Started()
    {
        Client.Start(Time.GetUtcNow().UtcDateTime);
        Run();
        return this;
    }

    public void Run() => ClientTurns.RunAll();

    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        Run();
    }

    /// <summary>The server accepts the oldest connect in flight.</summary>
    public FakeConnection Accept()
    {
        var connection = Opener.Accept();
        Run();
        return connection;
    }

    public void Refuse()
    {
        Opener.Refuse();
        Run();
    }

    public long Count(string counter) => Metrics.Read(counter);

    public IReadOnlyDictionary<string, long> Causes => Metrics.TakeSnapshot().Causes;

    public IReadOnlyDictionary<string, long> Closes => Metrics.TakeSnapshot().CloseCodes;

    public List<string> Timeline => [.. Client.Timeline!.Events.Select(e => e.Kind)];

    /// <summary>The log since the last call.</summary>
    public List<string> TakeLog()
    {
        var taken = new List<string>(Log);
        Log.Clear();
        return taken;
    }

    /// <summary>The client's turns: posted actions run when the test says, one at a time, in order.</summary>
    public sealed class Turns : IClientTurns
    {
        private readonly Queue<Action> _queue = new();

        public void Post(Action action)
        {
            lock (_queue) _queue.Enqueue(action);
        }

        public void RunAll()
        {
            while (true)
            {
                Action next;
                lock (_queue)
                {
                    if (_queue.Count == 0) return;
                    next = _queue.Dequeue();
                }
                next();
            }
        }
    }

    /// <summary>Connects that wait for the test to accept or refuse them.</summary>
    public sealed class Connections(List<string> log) : IConnectionFactory
    {
        private readonly Queue<(ConnectOptions Options, IConnectionListener Listener, TaskCompletionSource<SimulatedConnection> Done)> _pending = new();
        private int _opened;

        public int InFlight => _pending.Count;

        public List<ConnectOptions> Asked { get; } = [];

        public Task<SimulatedConnection> OpenAsync(Func<Task<ConnectOptions>> options, IConnectionListener listener)
        {
            var done = new TaskCompletionSource<SimulatedConnection>();
            var prepared = options().GetAwaiter().GetResult();
            Asked.Add(prepared);
            _pending.Enqueue((prepared, listener, done));
            log.Add("connect");
            return done.Task;
        }

        public FakeConnection Accept()
        {
            var (_, listener, done) = _pending.Dequeue();
            var connection = new FakeConnection(++_opened, listener, log);
            done.SetResult(connection);
            return connection;
        }

        public void Refuse()
        {
            var (_, _, done) = _pending.Dequeue();
            done.SetException(new ConnectFailedException(ConnectFailure.Refused, "refused"));
        }
    }
}

/// <summary>A connection that goes nowhere and logs what the client does to it (as "c1 reset", "c2 close 1000 flap").</summary>
internal sealed class FakeConnection(int id, IConnectionListener listener, List<string> log) : SimulatedConnection(listener)
{
    private readonly TaskCompletionSource<long> _peerGone = new();
    private int? _peerCloseCode;

    public int Id => id;
    protected override OpenedSocket? Opened => null;
    public override bool IsOpen => !Ended;
    public override Task<long> PeerGone => _peerGone.Task;
    public override int? PeerCloseCode => _peerCloseCode;

    public override bool Send(string text) => IsOpen;

    public override Task CloseAsync(int code = 1000, string reason = "bye")
    {
        Detach();
        log.Add($"c{id} close {code} {reason}");
        return Task.CompletedTask;
    }

    public override void Reset()
    {
        Detach();
        log.Add($"c{id} reset");
    }

    public override void Blackhole()
    {
        Detach();
        log.Add($"c{id} blackhole");
    }

    public override void FreezeReads()
    {
        Detach();
        log.Add($"c{id} freeze");
    }

    public override void CloseTcp()
    {
        Detach();
        log.Add($"c{id} fin");
    }

    public override void Release() => log.Add($"c{id} release");

    protected override void DisposeDriver() => log.Add($"c{id} dispose");

    /// <summary>The server ends the connection as the client sees it (a Close frame with <paramref name="code"/>, or none).</summary>
    public void ServerCloses(int? code) =>
        DeliverClosed(code is { } c ? new ConnectionClosed(CloseInitiator.Server, c, null, null) : new ConnectionClosed(CloseInitiator.Lost, null, null, "gone", DisconnectCause.Reset));

    /// <summary>Below the WebSocket the server is seen giving up at <paramref name="at"/> (a Close frame's code, or FIN/RST).</summary>
    public void PeerGives(long at, int? closeCode = null)
    {
        _peerCloseCode = closeCode;
        _peerGone.SetResult(at);
    }
}

/// <summary>A protocol that only logs what the client asks of it: ready on attach, nothing kept for replay (an echo's).</summary>
internal sealed class FakeProtocol(List<string> log) : IProtocol
{
    public int Pending { get; set; }
    public int Schedules { get; private set; }
    /// <summary>False: the protocol has a handshake of its own, answered by <see cref="Handshaken"/> or refused by <see cref="Fail"/>.</summary>
    public bool ReadyOnAttach { get; set; } = true;
    public bool Resumes => false;
    public IAppHeartbeat? Heartbeat => null;
    public IRefreshFrames? RefreshFrames => null;
    public ITokenCarrier? Tokens => null;

    public event Action<bool>? Ready;

    public event Action<ProtocolFailure>? Failed;

    public void Handshaken() => Ready?.Invoke(false);

    public void Fail(ProtocolFailure failure) => Failed?.Invoke(failure);

    public ConnectOptions PrepareUpgrade(ConnectOptions options) => options;
    public void Schedule(long start, long end) => Schedules++;
    public void Attach(ITextChannel connection) => log.Add($"attach c{((FakeConnection)connection).Id}");
    public void Detach() => log.Add("detach");
    public void StopSending() => log.Add("stop-sending");
    public void Abandon() => log.Add("abandon");

    public Task DrainAsync(TimeSpan grace)
    {
        log.Add("drain");
        return Task.CompletedTask;
    }

    public void OnText(string text) { }
    public void Finish() => log.Add("finish");
    public void Dispose() { }
}
