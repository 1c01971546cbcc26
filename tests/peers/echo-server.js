'use strict';
// A plain echo server on Node's `ws` package: an independent peer for SimCluster's tests.
// Usage: node echo-server.js [PORT]   (PORT 0 or absent: any free port)
// Prints `listening PORT` once listening. Echoes every message back as received (text stays text,
// binary stays binary). Exits when stdin closes or on SIGTERM/SIGINT, printing
// `stats connections=N messages=M` first.
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const wss = new WebSocketServer({ host: '127.0.0.1', port });
let connections = 0;
let messages = 0;

wss.on('listening', () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});

wss.on('connection', (ws) => {
  connections++;
  ws.on('message', (data, isBinary) => {
    messages++;
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', () => {}); // resets and abrupt closes are part of the tests
});

wss.on('error', (err) => {
  process.stderr.write(`echo-server: ${err.message}\n`);
  process.exit(1);
});

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => wss.close(done),
  finalLine: () => `stats connections=${connections} messages=${messages}`,
});
