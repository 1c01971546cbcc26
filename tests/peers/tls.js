// TLS for a peer when PEER_TLS_CERT and PEER_TLS_KEY name a PEM certificate and its key (set by a test that
// runs the peer over wss://); otherwise plain HTTP. Returns the HTTP(S) server a peer listens on.
const fs = require('fs');
const http = require('http');
const https = require('https');

module.exports.createServer = function createServer() {
  const cert = process.env.PEER_TLS_CERT;
  const key = process.env.PEER_TLS_KEY;
  if (!cert || !key) return http.createServer();
  return https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
};
