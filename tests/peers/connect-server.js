'use strict';
// An echo server that records what each upgrade request carried, for SimCluster's connect block.
// Usage: node connect-server.js [PORT] [MODE]
// MODE pick (default): choose the first subprotocol offered; none: choose none; other: answer chat.v9, which no
// client offers. For every completed upgrade it prints at once
//   seen {"path":..,"query":{..},"origin":..,"headers":{x-*: ..},"offered":[..],"chosen":..}
// and on exit `stats connections=C offered=O chosen=H` (upgrades completed, of them with a subprotocol offered,
// answered with one).
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const mode = process.argv[3] || 'pick';
let connections = 0;
let offered = 0;
let chosen = 0;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  handleProtocols: (protocols) => {
    if (mode === 'none') return false;
    if (mode === 'other') return 'chat.v9';
    return protocols.values().next().value;
  },
});

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));

wss.on('connection', (ws, request) => {
  connections++;
  const url = new URL(request.url, 'http://peer');
  const query = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) if (name.startsWith('x-')) headers[name] = value;
  const offer = (request.headers['sec-websocket-protocol'] || '').split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (offer.length > 0) offered++;
  if (ws.protocol) chosen++;
  const seen = { path: url.pathname, query, origin: request.headers.origin ?? null, headers, offered: offer, chosen: ws.protocol || null };
  process.stdout.write(`seen ${JSON.stringify(seen)}\n`);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});

wss.on('error', (err) => {
  process.stderr.write(`connect-server: ${err.message}\n`);
  process.exit(1);
});

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => wss.close(done),
  finalLine: () => `stats connections=${connections} offered=${offered} chosen=${chosen}`,
});
