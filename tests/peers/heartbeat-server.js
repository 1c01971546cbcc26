'use strict';
// An echo server with the heartbeat pattern from the `ws` README: every SWEEP_MS it terminates clients
// that did not answer the previous sweep's PING, then pings the rest. An independent peer for zombie tests.
// Usage: node heartbeat-server.js PORT SWEEP_MS   (PORT 0: any free port)
// Prints `listening PORT`; prints `stats connections=N terminated=T` and exits when stdin closes or on SIGTERM.
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const sweepMs = Number.parseInt(process.argv[3] || '1000', 10);
const wss = new WebSocketServer({ host: '127.0.0.1', port });
let connections = 0;
let terminated = 0;

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));

wss.on('connection', (ws) => {
  connections++;
  ws.isAlive = true;
  ws.on('pong', () => { ws.isAlive = true; });
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});

const sweep = setInterval(() => {
  for (const ws of wss.clients) {
    if (ws.isAlive === false) {
      terminated++;
      ws.terminate();
      continue;
    }
    ws.isAlive = false;
    ws.ping();
  }
}, sweepMs);

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => { clearInterval(sweep); wss.close(done); },
  finalLine: () => `stats connections=${connections} terminated=${terminated}`,
});
