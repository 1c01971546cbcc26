'use strict';
// A plain echo server on Node's `ws` package: an independent peer for SimCluster's tests.
// Usage: node echo-server.js [PORT] [drop-every:N] [dup-every:M]   (PORT 0 or absent: any free port)
// Prints `listening PORT` once listening. Echoes every message back as received (text stays text,
// binary stays binary); with drop-every:N it silently drops every Nth message it receives (counted over the
// whole server), with dup-every:M it echoes every Mth one twice. Exits when stdin closes or on SIGTERM/SIGINT,
// printing `stats connections=N messages=M dropped=D duplicated=U` first (messages = received).
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const option = (name) => {
  const arg = process.argv.slice(3).find((a) => a.startsWith(`${name}:`));
  return arg ? Number.parseInt(arg.split(':')[1], 10) : 0;
};
const dropEvery = option('drop-every');
const dupEvery = option('dup-every');
const wss = new WebSocketServer({ host: '127.0.0.1', port });
let connections = 0;
let messages = 0;
let dropped = 0;
let duplicated = 0;

wss.on('listening', () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});

wss.on('connection', (ws) => {
  connections++;
  ws.on('message', (data, isBinary) => {
    messages++;
    if (dropEvery > 0 && messages % dropEvery === 0) { dropped++; return; }
    ws.send(data, { binary: isBinary });
    if (dupEvery > 0 && messages % dupEvery === 0) { ws.send(data, { binary: isBinary }); duplicated++; }
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
  finalLine: () => `stats connections=${connections} messages=${messages} dropped=${dropped} duplicated=${duplicated}`,
});
