// Egress tests (EgressNamespaceTests), run inside a network namespace that has only loopback, with 10.0.0.1
// added to lo: a hostile loopback server that redirects every HTTP request off loopback, and a listener on
// 10.0.0.1 that must see nothing. Node built-ins only.
//   node egress-peer.js LOOPBACK_PORT STRAY_PORT
// Prints "ready" once both listen, "stray <what>" for every connection the 10.0.0.1 listener accepts, and
// "strays N" on SIGTERM (then it exits).
'use strict';
const http = require('http');
const net = require('net');

const [loopbackPort, strayPort] = process.argv.slice(2).map(Number);
const away = `http://10.0.0.1:${strayPort}`;
let strays = 0;

// Off loopback: count every connection, answer nothing useful.
const stray = net.createServer((socket) => {
  strays++;
  socket.once('data', (d) => console.log(`stray ${JSON.stringify(d.toString('latin1').split('\r\n')[0])}`));
  console.log(`stray connection from ${socket.remoteAddress}`);
  socket.on('error', () => {});
  setTimeout(() => socket.destroy(), 2000);
});

// On loopback: /stats, the token endpoint and the control API all answer with a redirect to 10.0.0.1;
// a 307/308 tells a client to repeat the POST (with its body) there.
const hostile = http.createServer((req, res) => {
  const status = req.method === 'POST' ? 307 : 302;
  res.writeHead(status, { Location: `${away}${req.url}`, 'Content-Length': '0' });
  res.end();
});
hostile.on('upgrade', (req, socket) => {
  socket.end(`HTTP/1.1 302 Found\r\nLocation: ${away}${req.url}\r\nContent-Length: 0\r\n\r\n`);
});

let listening = 0;
const onListening = () => { if (++listening === 2) console.log('ready'); };
stray.listen(strayPort, '10.0.0.1', onListening);
hostile.listen(loopbackPort, '127.0.0.1', onListening);

process.on('SIGTERM', () => {
  console.log(`strays ${strays}`);
  process.exit(0);
});
