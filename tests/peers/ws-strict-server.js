'use strict';
// A strict echo server on Node's `ws` package, for SimCluster's malformed-input tests: an independent,
// well-known implementation to grade against. Usage: node ws-strict-server.js [PORT]   (0 or absent: any port)
// Prints `listening PORT` once listening; exits when stdin closes or on SIGTERM/SIGINT.
//
// Settings beyond ws's defaults, each a documented option of ws or of Node's http server:
//   perMessageDeflate: true       so the deflate-bomb case (F23) applies; ws bounds the inflated size by maxPayload
//   maxPayload: 1 MiB             the same message limit as SimCluster's reference target (close 1009 above it)
//   headersTimeout/requestTimeout: 5 s, checked every 500 ms: slow and silent handshakes are dropped (F25)
// Plain (non-upgrade) requests get 426, as ws's own built-in HTTP server answers them.
const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const server = http.createServer({ headersTimeout: 5000, requestTimeout: 5000, connectionsCheckingInterval: 500 }, (req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('Upgrade Required');
});
const wss = new WebSocketServer({ server, perMessageDeflate: true, maxPayload: 1024 * 1024 });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {}); // protocol errors close the connection (ws sends the close code); nothing to log
});
wss.on('error', (err) => { process.stderr.write(`ws-strict-server: ${err.message}\n`); process.exit(1); });

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => server.close(done),
});
