using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace SimCluster.Transport.Malformed;

/// <summary>
/// Reads the server's side of a raw connection and logs what the server did (messages, PINGs, PONGs, Close
/// frames, FIN, RST) with timestamps. It parses frames leniently and never trusts a length: payloads are
/// hashed and skipped, not buffered, so garbage, a header announcing 2^63 bytes or a flood of frames costs a
/// fixed 16 KB buffer and a bounded log. A server that never answers costs nothing: callers wait on the log
/// with a deadline.
/// </summary>
public sealed class ServerFrameReader : IAsyncDisposable
{
    private const int BufferSize = 16 * 1024;
    private const int MessageHeadBytes = 64;
    private const int ControlHeadBytes = 256;
    /// <summary>Message events kept in the log; later ones are only counted (a flood must not grow memory).</summary>
    private const int MaxLoggedMessages = 256;
    /// <summary>PING and PONG events kept in the log, except probe PONGs, which are always kept.</summary>
    private const int MaxLoggedControl = 1024;

    /// <summary>Payloads starting with this are probes: their PONGs are always logged.</summary>
    public static ReadOnlySpan<byte> ProbePrefix => "probe:"u8;

    private readonly Stream _stream;
    private readonly TimeProvider _time;
    private readonly byte[]? _leftover;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<ServerEvent> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;

    // Frame parsing state.
    private readonly FrameHeaderDecoder _header = new();
    private bool _inPayload;
    private bool _fin;
    private int _rsv;
    private byte _opcode;
    private bool _masked;
    private ulong _payloadLength;
    private ulong _payloadLeft;
    private readonly byte[] _mask = new byte[4];
    private long _payloadIndex;
    private Fnv64 _frameHash;
    private readonly byte[] _controlHead = new byte[ControlHeadBytes];
    private int _controlCaptured;

    // The data message being assembled from fragments.
    private bool _inMessage;
    private byte _messageOpcode;
    private int _messageRsv;
    private long _messageLength;
    private Fnv64 _messageHash;
    private readonly byte[] _messageHead = new byte[MessageHeadBytes];
    private int _messageCaptured;
    private int _messageFrames;
    private string? _messageAnomaly;

    public ServerFrameReader(Stream stream, ReadOnlyMemory<byte> leftover, TimeProvider time)
    {
        _stream = stream;
        _time = time;
        _leftover = leftover.IsEmpty ? null : leftover.ToArray();
    }

    /// <summary>True when a negotiated extension (permessage-deflate) makes RSV1 legal on server frames.</summary>
    public bool Rsv1Allowed { get; init; }

    /// <summary>Messages seen in total (the log keeps only the first <see cref="MaxLoggedMessages"/>).</summary>
    public long MessagesSeen { get; private set; }

    /// <summary>PINGs and PONGs seen in total.</summary>
    public long ControlSeen { get; private set; }

    public long BytesRead { get; private set; }

    public void Start() => _loop ??= Task.Run(ReadLoopAsync);

    /// <summary>A copy of the log so far.</summary>
    public IReadOnlyList<ServerEvent> Events
    {
        get { lock (_gate) return [.. _events]; }
    }

    /// <summary>The server ended the TCP connection (FIN or RST).</summary>
    public bool Ended
    {
        get { lock (_gate) return _events.Count > 0 && _events[^1].IsEnd; }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds over the log, or the deadline (a <see cref="TimeProvider"/>
    /// timestamp) passes, or the connection ended. Returns whether the condition held.
    /// </summary>
    public async Task<bool> WaitUntilAsync(Func<IReadOnlyList<ServerEvent>, bool> condition, long deadline, CancellationToken ct)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_events)) return true;
                if (_events.Count > 0 && _events[^1].IsEnd) return false;
                changed = _changed.Task;
            }
            var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero) return false;
            try
            {
                await changed.WaitAsync(left, _time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                lock (_gate) return condition(_events);
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        if (_leftover is not null) Feed(_leftover);
        var buffer = new byte[BufferSize];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var n = await _stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    Add(new ServerEvent { Kind = ServerEventKind.Eof, At = _time.GetTimestamp() });
                    return;
                }
                BytesRead += n;
                Feed(buffer.AsSpan(0, n));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // We closed it.
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            if (_stop.IsCancellationRequested) return;
            Add(new ServerEvent { Kind = ServerEventKind.Reset, At = _time.GetTimestamp(), Anomaly = e.GetBaseException().Message });
        }
    }

    /// <summary>Parses server bytes; public so the grader's tests can feed hand-made frames.</summary>
    public void Feed(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (!_inPayload)
            {
                i += _header.Feed(bytes[i..], out var header);
                if (header is { } h) StartFrame(h);
                continue;
            }
            var take = (int)Math.Min((ulong)(bytes.Length - i), _payloadLeft);
            ConsumePayload(bytes.Slice(i, take));
            i += take;
            _payloadLeft -= (ulong)take;
            if (_payloadLeft == 0) EndFrame();
        }
    }

    private void StartFrame(FrameHeader header)
    {
        _fin = header.Fin;
        _rsv = header.Rsv;
        _opcode = (byte)header.Opcode;
        _masked = header.Masked;
        _payloadLength = header.PayloadLength;
        for (var k = 0; k < 4; k++) _mask[k] = header.MaskByte(k);
        _payloadLeft = _payloadLength;
        _payloadIndex = 0;
        _frameHash = new Fnv64();
        _controlCaptured = 0;
        if (!Opcode.IsControl(_opcode) && !_inMessage)
        {
            _inMessage = true;
            _messageOpcode = _opcode;
            _messageRsv = _rsv;
            _messageLength = 0;
            _messageHash = new Fnv64();
            _messageCaptured = 0;
            _messageFrames = 0;
            _messageAnomaly = _opcode == Opcode.Continuation ? "continuation frame without a message to continue" : null;
        }
        else if (!Opcode.IsControl(_opcode) && _opcode != Opcode.Continuation)
        {
            _messageAnomaly ??= "new data frame inside a fragmented message";
        }
        if (_payloadLeft > 0) _inPayload = true;
        else EndFrame();
    }

    private void ConsumePayload(ReadOnlySpan<byte> chunk)
    {
        Span<byte> plain = stackalloc byte[Math.Min(chunk.Length, 1024)];
        var done = 0;
        while (done < chunk.Length)
        {
            var n = Math.Min(plain.Length, chunk.Length - done);
            for (var k = 0; k < n; k++)
            {
                var b = chunk[done + k];
                plain[k] = _masked ? (byte)(b ^ _mask[(_payloadIndex + k) & 3]) : b;
            }
            var part = plain[..n];
            if (Opcode.IsControl(_opcode))
            {
                var keep = Math.Min(n, ControlHeadBytes - _controlCaptured);
                if (keep > 0) part[..keep].CopyTo(_controlHead.AsSpan(_controlCaptured));
                _controlCaptured += Math.Max(keep, 0);
                _frameHash.Add(part);
            }
            else
            {
                var keep = Math.Min(n, MessageHeadBytes - _messageCaptured);
                if (keep > 0) part[..keep].CopyTo(_messageHead.AsSpan(_messageCaptured));
                _messageCaptured += Math.Max(keep, 0);
                _messageHash.Add(part);
                _messageLength += n;
            }
            _payloadIndex += n;
            done += n;
        }
    }

    private void EndFrame()
    {
        _inPayload = false;
        var now = _time.GetTimestamp();
        string? anomaly = null;
        if (_masked) anomaly = "masked frame from the server";
        if (_rsv != 0 && !(Rsv1Allowed && _rsv == 4)) anomaly = Join(anomaly, $"RSV bits 0x{_rsv:X} set");
        if (!Opcode.IsKnown(_opcode)) anomaly = Join(anomaly, $"reserved opcode 0x{_opcode:X}");

        if (Opcode.IsControl(_opcode))
        {
            if (!_fin) anomaly = Join(anomaly, "fragmented control frame");
            if (_payloadLength > 125) anomaly = Join(anomaly, $"control frame with {_payloadLength} payload bytes");
            var head = _controlHead.AsSpan(0, Math.Min(_controlCaptured, ControlHeadBytes)).ToArray();
            var kind = _opcode switch
            {
                Opcode.Ping => ServerEventKind.Ping,
                Opcode.Pong => ServerEventKind.Pong,
                Opcode.Close => ServerEventKind.Close,
                _ => ServerEventKind.Message,
            };
            int? code = null;
            string? reason = null;
            if (kind == ServerEventKind.Close)
            {
                if (head.Length >= 2) code = BinaryPrimitives.ReadUInt16BigEndian(head);
                else if (head.Length == 1) anomaly = Join(anomaly, "close frame with a 1-byte payload");
                if (head.Length > 2) reason = Encoding.UTF8.GetString(head, 2, head.Length - 2);
            }
            Add(new ServerEvent
            {
                Kind = kind, At = now, Opcode = _opcode, Length = (long)Math.Min(_payloadLength, long.MaxValue), Hash = _frameHash.Value,
                Head = head, Rsv = _rsv, CloseCode = code, CloseReason = reason, Anomaly = anomaly,
            });
            return;
        }

        _messageFrames++;
        if (anomaly is not null) _messageAnomaly = Join(_messageAnomaly, anomaly);
        if (!_fin) return;
        _inMessage = false;
        Add(new ServerEvent
        {
            Kind = ServerEventKind.Message, At = now, Opcode = _messageOpcode, Length = _messageLength, Hash = _messageHash.Value,
            Head = _messageHead.AsSpan(0, Math.Min(_messageCaptured, MessageHeadBytes)).ToArray(), Frames = _messageFrames,
            Rsv = _messageRsv, Anomaly = _messageAnomaly,
        });
    }

    private static string Join(string? a, string b) => a is null ? b : $"{a}; {b}";

    private void Add(ServerEvent e)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (_events.Count > 0 && _events[^1].IsEnd) return; // nothing comes after the end
            if (e.Kind == ServerEventKind.Message)
            {
                MessagesSeen++;
                if (MessagesSeen > MaxLoggedMessages) return;
            }
            else if (e.Kind is ServerEventKind.Ping or ServerEventKind.Pong)
            {
                ControlSeen++;
                if (ControlSeen > MaxLoggedControl && !e.Head.AsSpan().StartsWith(ProbePrefix)) return;
            }
            _events.Add(e);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null)
        {
            try { await _loop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); }
            catch (TimeoutException) { }
        }
        _stop.Dispose();
    }
}
