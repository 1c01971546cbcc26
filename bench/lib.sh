# Helpers the bench scripts share; sourced, not run.
# A loopback TCP port free right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Seconds since the epoch, to the nanosecond: event times to subtract.
now() { date +%s.%N; }
