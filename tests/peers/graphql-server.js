'use strict';
// A real graphql-ws (graphql-transport-ws) server: graphql-ws 6 over ws 8, with graphql 16.
// Usage: node graphql-server.js <port> [items:N] [every:MS] [drop-every:N] [init-timeout:MS] [require-token] [token:T]
// Subscription.ticks yields { seq: 1..items }, one every MS; with drop-every:N every Nth seq is skipped (never
// sent, counted as dropped). init-timeout:MS is graphql-ws's connectionInitWaitTimeout (4408 after it without
// connection_init). require-token: onConnect rejects an init without a token (4403 Forbidden); token:T rejects
// every token but T (4403). A subscription the schema does not have is rejected with an `error` message (errors).
// Prints "listening <port>" when ready and, when stopped, its own counts:
// "stats connections=.. inits=.. tokens=.. acks=.. rejected=.. subscribes=.. pushed=.. dropped=.. completed=.. errors=..
// close4403=.." (closeCODE: the Close frames the server itself sent, per code).
const { WebSocketServer } = require('ws');
const { useServer } = require('graphql-ws/use/ws');
const { buildSchema } = require('graphql');

const args = process.argv.slice(2);
const port = Number(args[0] || 0);
const option = (name, fallback) => {
  const arg = args.find((a) => a.startsWith(`${name}:`));
  return arg ? Number(arg.slice(name.length + 1)) : fallback;
};
const items = option('items', 20);
const every = option('every', 100);
const dropEvery = option('drop-every', 0);
const initTimeout = option('init-timeout', 3000);
const requireToken = args.includes('require-token');
const tokenArg = args.find((a) => a.startsWith('token:'));
const expectedToken = tokenArg ? tokenArg.slice('token:'.length) : null;

const counts = { connections: 0, inits: 0, tokens: 0, acks: 0, rejected: 0, subscribes: 0, pushed: 0, dropped: 0, completed: 0, errors: 0 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const schema = buildSchema(`
  type Tick { seq: Int! }
  type Query { hello: String }
  type Subscription { ticks: Tick! }
`);
const roots = {
  query: { hello: () => 'world' },
  subscription: {
    ticks: async function* ticks() {
      for (let seq = 1; seq <= items; seq++) {
        await sleep(every);
        if (dropEvery > 0 && seq % dropEvery === 0) { counts.dropped++; continue; }
        yield { ticks: { seq } };
      }
      counts.completed++;
    },
  },
};

const httpServer = require('./tls').createServer(); // HTTPS with PEER_TLS_CERT and PEER_TLS_KEY
const wss = new WebSocketServer({ server: httpServer });
const closes = {};
// Registered before useServer's own listener: every close graphql-ws makes (4400 .. 4500) goes through this wrapper.
// Only a close of an open socket whose peer has not closed first is the server's: ws calls close itself to answer
// a Close frame (_closeFrameReceived is how ws 8 knows it is answering).
wss.on('connection', (socket) => {
  counts.connections++;
  const close = socket.close.bind(socket);
  socket.close = (code, reason) => {
    if (socket.readyState === socket.OPEN && !socket._closeFrameReceived && typeof code === 'number') closes[`close${code}`] = (closes[`close${code}`] || 0) + 1;
    close(code, reason);
  };
});
useServer({
  schema,
  roots,
  connectionInitWaitTimeout: initTimeout,
  onConnect: (ctx) => {
    counts.inits++;
    const token = ctx.connectionParams && typeof ctx.connectionParams.token === 'string' ? ctx.connectionParams.token : '';
    if (token.length > 0) counts.tokens++;
    if ((requireToken && token.length === 0) || (expectedToken !== null && token !== expectedToken)) {
      counts.rejected++;
      return false;
    }
    counts.acks++;
    return true;
  },
  onSubscribe: () => { counts.subscribes++; },
  onNext: () => { counts.pushed++; },
  onError: () => { counts.errors++; },
}, wss);

httpServer.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${httpServer.address().port}\n`));

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => wss.close(done),
  finalLine: () => `stats ${Object.entries({ ...counts, ...closes }).map(([k, v]) => `${k}=${v}`).join(' ')}`,
});
