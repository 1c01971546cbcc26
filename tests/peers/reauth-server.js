'use strict';
// An echo server with its own in-band re-authentication, not the session protocol: an independent peer for
// SimCluster's refresh.message / refresh.expect. Usage: node reauth-server.js [PORT]
// A connection's token comes as ?token=JWT on the upgrade. A text frame {"op":"reauth","jwt":"..."} is
// answered {"op":"reauthed","exp":E} when the new token's exp is later than the connection's current one,
// {"op":"denied"} otherwise (an old token replayed). Signatures are not checked: expiry order is the point.
// Every other message is echoed. Prints `listening PORT`, and on exit `stats connections=N reauths=R denied=D`.
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const wss = new WebSocketServer({ host: '127.0.0.1', port });
let connections = 0;
let reauths = 0;
let denied = 0;

function expOf(jwt) {
  try {
    const payload = JSON.parse(Buffer.from(String(jwt).split('.')[1], 'base64url').toString('utf8'));
    return typeof payload.exp === 'number' ? payload.exp : -1;
  } catch {
    return -1;
  }
}

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));

wss.on('connection', (ws, request) => {
  connections++;
  let exp = expOf(new URL(request.url, 'http://x').searchParams.get('token'));
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      let frame = null;
      try { frame = JSON.parse(data.toString('utf8')); } catch { /* not JSON: echoed */ }
      if (frame && frame.op === 'reauth') {
        const next = expOf(frame.jwt);
        if (next > exp) {
          exp = next;
          reauths++;
          ws.send(JSON.stringify({ op: 'reauthed', exp }));
        } else {
          denied++;
          ws.send(JSON.stringify({ op: 'denied' }));
        }
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', () => {});
});

wss.on('error', (err) => {
  process.stderr.write(`reauth-server: ${err.message}\n`);
  process.exit(1);
});

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => wss.close(done),
  finalLine: () => `stats connections=${connections} reauths=${reauths} denied=${denied}`,
});
