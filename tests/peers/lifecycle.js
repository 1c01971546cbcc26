'use strict';
// How every test peer ends: on SIGTERM, SIGINT or when its stdin closes (the test disposing it), it prints
// its final line (usually its own counts), drops every client and exits, at most 2 s later.
function stopOnSignalOrStdinClose({ clients, close, finalLine }) {
  let stopping = false;
  function stop() {
    if (stopping) return;
    stopping = true;
    const line = finalLine && finalLine();
    if (line) process.stdout.write(`${line}\n`);
    for (const client of clients()) client.terminate();
    close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}

module.exports = { stopOnSignalOrStdinClose };
