'use strict';
// A session-protocol server (docs/session-protocol.md) on Node's `ws`, with deliberate faults, to check that
// SimCluster reports exactly the damage a server does. Modes (argv[3]):
//   correct        buffers, replays on resume, echoes each client message once
//   forget         forgets every session when its connection ends (resumed:false on the next hello)
//   drop-every:N   numbers every server message but never sends every Nth one (a gap the client must see)
//   replay-twice   sends every replayed message twice on resume
//   discard-every:N  takes every Nth client message (counted over the whole server) and discards it before
//                  numbering an echo: no gap in the server's sequence, the message is simply never echoed
//   dup-every:M    sends the echo of every Mth client message twice (the same frame, the same seq)
// Modes combine with commas (discard-every:7,dup-every:5).
// Usage: node session-server.js PORT MODE   (PORT 0: any free port). Prints `listening PORT`; on stdin close or
// SIGTERM prints `stats sessions=S forgotten=F dropped=D duplicated=U echoed=E received=R discarded=X` and exits
// (received: new client messages taken, repeats not counted).
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const mode = process.argv[3] || 'correct';
const modes = mode.split(',');
const every = (name) => {
  const m = modes.find((x) => x.startsWith(`${name}:`));
  return m ? Number.parseInt(m.split(':')[1], 10) : 0;
};
const dropEvery = every('drop-every');
const discardEvery = every('discard-every');
const dupEvery = every('dup-every');
const wss = new WebSocketServer({ host: '127.0.0.1', port });
const sessions = new Map();
const counts = { sessions: 0, forgotten: 0, dropped: 0, duplicated: 0, echoed: 0, received: 0, discarded: 0 };

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));

wss.on('connection', (ws) => {
  let session = null;
  const send = (frame) => { if (ws.readyState === ws.OPEN) ws.send(frame); };

  ws.on('message', (data) => {
    let m;
    try { m = JSON.parse(data.toString()); } catch { ws.close(1008, 'invalid message'); return; }
    if (m.type === 'hello') {
      let s = sessions.get(m.session);
      const resumed = !!s;
      if (!s) {
        s = { id: m.session, serverSeq: 0, clientHeld: 0, buffer: [] };
        sessions.set(m.session, s);
        counts.sessions++;
      }
      if (s.socket && s.socket !== ws) s.socket.terminate();
      s.socket = ws;
      session = s;
      send(JSON.stringify({ type: 'welcome', session: s.id, resumed, lastSeq: s.clientHeld }));
      for (const item of s.buffer) {
        if (item.seq <= (m.lastSeq || 0)) continue;
        send(item.frame);
        if (modes.includes('replay-twice')) { send(item.frame); counts.duplicated++; }
      }
      return;
    }
    if (!session) { ws.close(1008, 'hello first'); return; }
    if (m.type === 'msg') {
      if (m.seq !== session.clientHeld + 1) return; // a repeat or a gap: not echoed again
      session.clientHeld = m.seq;
      counts.received++;
      if (discardEvery > 0 && counts.received % discardEvery === 0) { counts.discarded++; return; } // never numbered
      const seq = ++session.serverSeq;
      const frame = JSON.stringify({ type: 'msg', seq, echo: m.seq, ts: Date.now(), body: m.body });
      if (dropEvery > 0 && seq % dropEvery === 0) { counts.dropped++; return; } // numbered, never sent, never buffered
      session.buffer.push({ seq, frame });
      counts.echoed++;
      send(frame);
      if (dupEvery > 0 && counts.received % dupEvery === 0) { send(frame); counts.duplicated++; }
    } else if (m.type === 'ack') {
      session.buffer = session.buffer.filter((item) => item.seq > m.seq);
    } else if (m.type === 'ping') {
      send(JSON.stringify({ type: 'pong', ts: m.ts }));
    }
  });

  ws.on('close', () => {
    if (modes.includes('forget') && session && session.socket === ws) {
      sessions.delete(session.id);
      counts.forgotten++;
    }
  });
  ws.on('error', () => {});
});

require('./lifecycle').stopOnSignalOrStdinClose({
  clients: () => wss.clients,
  close: (done) => wss.close(done),
  finalLine: () => `stats sessions=${counts.sessions} forgotten=${counts.forgotten} dropped=${counts.dropped} duplicated=${counts.duplicated} echoed=${counts.echoed} received=${counts.received} discarded=${counts.discarded}`,
});
