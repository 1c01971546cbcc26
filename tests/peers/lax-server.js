'use strict';
// A deliberately lax WebSocket server for SimCluster's malformed-input tests: raw `net`, a minimal upgrade,
// and an echo that never validates anything. It answers every request with 101 (no key, wrong version, no
// Upgrade header: all fine), echoes every data frame as it came (same FIN, RSV bits and opcode, reserved
// ones too), answers every PING (any length, fragmented or not) and echoes every Close payload. It never
// checks UTF-8, masks, lengths or fragmentation, and has no limits or timeouts. A strict grader must find it
// FAILED or NON-STRICT wherever it tolerates garbage.
//
// Usage: node lax-server.js [PORT] [--crash-on-huge-length]
//   --crash-on-huge-length: exit the process (a crash) when a frame announces more than 2^53 bytes, so tests
//   can check that a server that dies on a case is reported with that case named.
// Prints `listening PORT`; exits when stdin closes or on SIGTERM/SIGINT.
const net = require('net');
const crypto = require('crypto');

const port = Number.parseInt(process.argv[2] || '0', 10);
const crashOnHugeLength = process.argv.includes('--crash-on-huge-length');
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(firstByte, payload) {
  const len = payload.length;
  let header;
  if (len < 126) header = Buffer.from([firstByte, len]);
  else if (len < 65536) { header = Buffer.alloc(4); header[0] = firstByte; header[1] = 126; header.writeUInt16BE(len, 2); }
  else { header = Buffer.alloc(10); header[0] = firstByte; header[1] = 127; header.writeBigUInt64BE(BigInt(len), 2); }
  return Buffer.concat([header, payload]);
}

const server = net.createServer((socket) => {
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  let stalled = false; // waiting for a frame too big to ever arrive: ignore everything from now on
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    if (stalled) return;
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      buffer = buffer.subarray(end + 4);
      const match = /^sec-websocket-key:\s*(.*)$/im.exec(head);
      const accept = crypto.createHash('sha1').update((match ? match[1].trim() : '') + GUID).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      upgraded = true;
    }
    while (buffer.length >= 2) {
      const b0 = buffer[0];
      const b1 = buffer[1];
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buffer.length < 4) return;
        len = buffer.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buffer.length < 10) return;
        const big = buffer.readBigUInt64BE(2);
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
          if (crashOnHugeLength) { process.stderr.write('lax-server: crashing on a huge frame length\n'); process.exit(3); }
          stalled = true;
          return;
        }
        len = Number(big);
        at = 10;
      }
      if (len > 64 * 1024 * 1024) { stalled = true; return; } // would never fit: wait forever, like a naive server
      const total = at + (masked ? 4 : 0) + len;
      if (buffer.length < total) return;
      const payload = Buffer.from(buffer.subarray(at + (masked ? 4 : 0), total));
      if (masked) {
        const key = buffer.subarray(at, at + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      }
      buffer = buffer.subarray(total);
      const opcode = b0 & 0x0f;
      if (opcode === 0x9) socket.write(frame(0x8a, payload));
      else if (opcode === 0xa) { /* ignore PONGs */ }
      else if (opcode === 0x8) { socket.end(frame(0x88, payload)); stalled = true; return; }
      else socket.write(frame(b0, payload));
    }
  });
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
