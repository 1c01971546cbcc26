'use strict';
// A real Socket.IO server (socket.io 4.8.1, Engine.IO v4 / Socket.IO v5): an independent peer for SimCluster's
// protocol: socketio. Usage: node socketio-server.js [PORT] [PING_INTERVAL_MS] [PING_TIMEOUT_MS] [OPTION...]
// Options (key:value):
//   recovery:MS   connectionStateRecovery on, maxDisconnectionDuration MS (skipMiddlewares as by default)
//   ticks:MS      io.emit('tick', { seq }) to every connected socket each MS, seq counting from 1
//   reject:all    a middleware refuses every namespace connect (`44{"message":"not authorized"}`)
//   acks:bad      of the acked `message` events, the 1st, 4th, ... get an ack whose JSON does not parse, the 2nd,
//                 5th, ... an ack for an id never sent before the right one, the rest a right ack
// Every `message` event that asks for an ack is acked with { seq } taken from its payload. Prints `listening PORT`,
// and on exit its own counts: `stats engine=E connections=C events=V acks=A disconnects=D ...`
// (engine: Engine.IO transports opened; connections: namespace `connection` events; pingTimeouts: disconnects for
// the reason "ping timeout"; recovered: connections with socket.recovered; unreplayed: ticks emitted after the
// position a reconnecting client presented that its new, unrecovered session never gets; rejected: middleware
// refusals; badJsonAcks, strayAcks: the malformed acks of acks:bad).
const { Server } = require('socket.io');

const port = Number.parseInt(process.argv[2] || '0', 10);
const pingInterval = Number.parseInt(process.argv[3] || '1000', 10);
const pingTimeout = Number.parseInt(process.argv[4] || '2000', 10);
const options = Object.fromEntries(process.argv.slice(5).map((a) => {
  const i = a.indexOf(':');
  if (i < 0) {
    process.stderr.write(`socketio-server: option ${a} is no key:value\n`);
    process.exit(2);
  }
  return [a.slice(0, i), a.slice(i + 1)];
}));
const known = ['recovery', 'ticks', 'reject', 'acks'];
for (const key of Object.keys(options)) {
  if (!known.includes(key)) {
    process.stderr.write(`socketio-server: unknown option ${key} (known: ${known.join(', ')})\n`);
    process.exit(2);
  }
}
const recovery = options.recovery ? Number.parseInt(options.recovery, 10) : 0;
const ticks = options.ticks ? Number.parseInt(options.ticks, 10) : 0;
const counts = {
  engine: 0, connections: 0, events: 0, acks: 0, disconnects: 0, pingTimeouts: 0,
  recovered: 0, unreplayed: 0, unknownOffsets: 0, rejected: 0, ticks: 0, badJsonAcks: 0, strayAcks: 0,
};

const httpServer = require('./tls').createServer(); // HTTPS with PEER_TLS_CERT and PEER_TLS_KEY
// WebSocket only, as SimCluster's client connects (no polling upgrade).
const io = new Server(httpServer, {
  transports: ['websocket'],
  pingInterval,
  pingTimeout,
  ...(recovery > 0 ? { connectionStateRecovery: { maxDisconnectionDuration: recovery, skipMiddlewares: true } } : {}),
});

// The books of what a reconnecting client missed: the tick each offset was appended to, and for each session
// (pid) the last tick emitted before it connected (what it holds at least, when it presents no offset).
const seqOfOffset = new Map();
const startOfPid = new Map();
let lastTick = 0;

io.engine.on('connection', () => { counts.engine++; });
if (options.reject === 'all') {
  io.use((socket, next) => {
    counts.rejected++;
    next(new Error('not authorized'));
  });
}
io.on('connection', (socket) => {
  counts.connections++;
  const auth = socket.handshake.auth || {};
  if (socket.recovered) counts.recovered++;
  else {
    if (typeof auth.pid === 'string') {
      // A reconnect the server did not recover: every tick after the client's last one is gone for it.
      let had;
      if (typeof auth.offset === 'string') {
        had = seqOfOffset.get(auth.offset);
        if (had === undefined) counts.unknownOffsets++;
      } else had = startOfPid.get(auth.pid);
      if (had !== undefined) counts.unreplayed += lastTick - had;
      if (process.env.SOCKETIO_PEER_TRACE) process.stderr.write(`reconnect pid=${auth.pid} offset=${auth.offset} had=${had} last=${lastTick}\n`);
    }
    startOfPid.set(socket.pid, lastTick);
  }
  // The offset the session-aware adapter appends to each broadcast, seen as the socket sends it.
  socket.onAnyOutgoing((event, ...args) => {
    if (event === 'tick' && args.length >= 2 && typeof args[args.length - 1] === 'string') seqOfOffset.set(args[args.length - 1], args[0].seq);
  });
  // The ack ids of the `message` events not handled yet: socket.io hides an event's id in its ack function, so it is
  // read from the raw packet. Engine.io emits 'packet' at once, while socket.io dispatches the event on a later tick,
  // so several packets can be read before the first is handled: a queue, in arrival order, not a last-seen id.
  const ackIds = [];
  socket.conn.on('packet', (packet) => {
    if (packet.type !== 'message' || typeof packet.data !== 'string') return;
    const m = /^2(?:\/[^,]*,)?(\d*)\["message"/.exec(packet.data);
    if (m) ackIds.push(m[1] || null);
  });
  let n = 0;
  socket.on('message', (payload, ack) => {
    const ackId = ackIds.shift();
    counts.events++;
    if (typeof ack !== 'function') return;
    n++;
    if (options.acks === 'bad' && n % 3 === 1) {
      // Answers the ack id the client sent with an ack packet whose JSON does not parse, written raw.
      counts.badJsonAcks++;
      socket.conn.write(`3${socket.nsp.name === '/' ? '' : `${socket.nsp.name},`}${ackId}[{"seq":`);
      return;
    }
    if (options.acks === 'bad' && n % 3 === 2) {
      counts.strayAcks++;
      socket.conn.write(`3${1_000_000_000 + n}[]`);
    }
    counts.acks++;
    ack({ seq: payload && typeof payload === 'object' ? payload.seq : null });
  });
  socket.on('disconnect', (reason) => {
    counts.disconnects++;
    if (reason === 'ping timeout') counts.pingTimeouts++;
  });
});

if (ticks > 0) {
  setInterval(() => {
    lastTick++;
    counts.ticks++;
    io.emit('tick', { seq: lastTick });
  }, ticks);
}

httpServer.on('error', (err) => {
  process.stderr.write(`socketio-server: ${err.message}\n`);
  process.exit(1);
});
httpServer.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${httpServer.address().port}\n`));

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => [],
  close: (done) => io.close(() => done()),
  finalLine: () => `stats ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}`,
});
