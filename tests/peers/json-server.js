'use strict';
// A request/response server of its own, not an echo: an independent peer for SimCluster's protocol: json.
// Usage: node json-server.js [PORT] [DROP_EVERY] [ERROR_EVERY]
// {"op":"add","id":N,"a":A,"b":B} is answered {"re":N,"sum":A+B}; every DROP_EVERY-th add (counted over all
// connections, 0 = never) gets no answer, every ERROR_EVERY-th answered add gets {"re":N,"error":"refused"}
// instead. {"op":"ping"} is answered {"op":"pong"}. Prints `listening PORT`, and on exit
// `stats connections=C adds=A dropped=D errors=E pings=P`.
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const dropEvery = Number.parseInt(process.argv[3] || '0', 10);
const errorEvery = Number.parseInt(process.argv[4] || '0', 10);
const wss = new WebSocketServer({ host: '127.0.0.1', port });
let connections = 0;
let adds = 0;
let dropped = 0;
let answered = 0;
let errors = 0;
let pings = 0;

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));

wss.on('connection', (ws) => {
  connections++;
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let frame = null;
    try { frame = JSON.parse(data.toString('utf8')); } catch { return; }
    if (!frame || typeof frame !== 'object') return;
    if (frame.op === 'ping') {
      pings++;
      ws.send(JSON.stringify({ op: 'pong' }));
      return;
    }
    if (frame.op !== 'add') return;
    adds++;
    if (dropEvery > 0 && adds % dropEvery === 0) {
      dropped++;
      return;
    }
    answered++;
    if (errorEvery > 0 && answered % errorEvery === 0) {
      errors++;
      ws.send(JSON.stringify({ re: frame.id, error: 'refused' }));
      return;
    }
    ws.send(JSON.stringify({ sum: frame.a + frame.b, re: frame.id }));
  });
  ws.on('error', () => {});
});

wss.on('error', (err) => {
  process.stderr.write(`json-server: ${err.message}\n`);
  process.exit(1);
});

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => wss.close(done),
  finalLine: () => `stats connections=${connections} adds=${adds} dropped=${dropped} errors=${errors} pings=${pings}`,
});
