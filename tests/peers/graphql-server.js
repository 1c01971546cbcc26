'use strict';
// A real graphql-ws (graphql-transport-ws) server: graphql-ws 6 over ws 8, with graphql 16.
// Usage: node graphql-server.js <port> [items:N] [every:MS] [drop-every:N] [init-timeout:MS] [require-token]
// Subscription.ticks yields { seq: 1..items }, one every MS; with drop-every:N every Nth seq is skipped (never
// sent, counted as dropped). require-token: onConnect rejects an init without a token (4403 Forbidden).
// Prints "listening <port>" when ready and, when stopped, its own counts:
// "stats connections=.. inits=.. acks=.. rejected=.. subscribes=.. pushed=.. dropped=.. completed=.. errors=.."
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

const counts = { connections: 0, inits: 0, acks: 0, rejected: 0, subscribes: 0, pushed: 0, dropped: 0, completed: 0, errors: 0 };
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

const wss = new WebSocketServer({ port, host: '127.0.0.1' });
wss.on('connection', () => { counts.connections++; });
useServer({
  schema,
  roots,
  connectionInitWaitTimeout: initTimeout,
  onConnect: (ctx) => {
    counts.inits++;
    if (requireToken && !(ctx.connectionParams && typeof ctx.connectionParams.token === 'string' && ctx.connectionParams.token.length > 0)) {
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

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => wss.close(done),
  finalLine: () => `stats ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}`,
});
