#!/usr/bin/env bash
# Soak test (not part of scripts/test.sh): holds CONNECTIONS socket.io-client connections
# against a sio server for SECONDS of connect / emit-with-ack / broadcast / room / disconnect
# churn and compares the server's RSS and fd count at the start and the end.
#
#   bash scripts/soak.sh [SECONDS] [CONNECTIONS]        # defaults: 600 5000
#
# Environment: SOAK_RELEASE=1 (release build), SOAK_SERVER=interop|bench (interop-server, the
# default, or bench/sio-server), SOAK_NO_BUILD=1 (use the binary as it is), SOAK_JSON=FILE (full
# report with the RSS/fd series), SOAK_HEAP=1 (also glibc's live heap, read with gdb), and the
# workload / threshold knobs of scripts/soak/README.md.
# Exit code: 0 every check passed, 1 a check failed, 2 the run itself broke.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-600}
conns=${2:-5000}
flavor=${SOAK_SERVER:-interop}
profile=debug
cargo_flags=()
if [ "${SOAK_RELEASE:-0}" = 1 ]; then
  profile=release
  cargo_flags=(--release)
fi
case "$flavor" in
  interop)
    build=(cargo build "${cargo_flags[@]}" -p sio-core --example interop-server)
    bin=target/$profile/examples/interop-server
    ;;
  bench)
    build=(cargo build "${cargo_flags[@]}" -p sio-bench-server)
    bin=target/$profile/sio-bench-server
    ;;
  *) echo "SOAK_SERVER must be interop or bench" >&2; exit 2 ;;
esac

if [ ! -d tests/node_modules/socket.io-client ]; then
  npm ci --prefix tests --no-audit --no-fund
fi
if [ "${SOAK_NO_BUILD:-0}" != 1 ]; then
  "${build[@]}"
fi
[ -x "$bin" ] || { echo "no server binary at $bin" >&2; exit 2; }
if [ "${SOAK_HEAP:-0}" = 1 ] && ! command -v gdb >/dev/null; then
  echo "SOAK_HEAP=1 needs gdb" >&2
  exit 2
fi

# fds: the server and the Node driver each hold one per connection (polling clients up to two);
# raise the soft limit to the hard one (the server's max_connections is 90 % of it).
need=$((conns * 2 + 1024))
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ]; then hard=$((need > 65536 ? need : 65536)); fi
if [ "$(ulimit -Sn)" -lt "$hard" ]; then ulimit -n "$hard"; fi
if [ "$(ulimit -Sn)" -lt "$need" ]; then
  echo "fd limit $(ulimit -Sn) is below the $need this run needs (ulimit -Hn: $(ulimit -Hn))" >&2
  exit 2
fi

tmp=$(mktemp -d)
spid=
dpid=
cleanup() {
  if [ -n "$spid" ] && kill -0 "$spid" 2>/dev/null; then
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
  fi
  if [ -n "$dpid" ]; then wait "$dpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The server's stdout goes through a FIFO: the first line gives the port, then a separate awk
# drains it (interop-server logs every event; an unread pipe would stall it) and counts the
# lifecycle events it logged.
mkfifo "$tmp/out"
"$bin" --port 0 >"$tmp/out" 2>"$tmp/stderr" &
spid=$!
exec 3<"$tmp/out"
if ! IFS= read -r -t 60 line <&3; then
  echo "the server printed nothing within 60 s" >&2
  cat "$tmp/stderr" >&2
  exit 2
fi
port=${line##* }
case "$line" in
  "listening on $port" | "ready $port") ;;
  *) echo "unexpected first line from the server: $line" >&2; exit 2 ;;
esac
awk 'match($0, /"ev":"[a-z-]+"/) { c[substr($0, RSTART + 6, RLENGTH - 7)]++ }
     END { for (k in c) printf "%s=%d ", k, c[k] }' <&3 >"$tmp/events" &
dpid=$!
exec 3<&-

echo "soak: $flavor server ($bin, pid $spid, port $port), $conns connections, $secs s; fd limit $(ulimit -Sn)" >&2
rc=0
node --max-old-space-size=4096 scripts/soak/driver.mjs --pid "$spid" --url "http://127.0.0.1:$port" \
  --flavor "$flavor" --seconds "$secs" --connections "$conns" --server-stderr "$tmp/stderr" \
  ${SOAK_JSON:+--json-out "$SOAK_JSON"} || rc=$?

kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
spid=
wait "$dpid" 2>/dev/null || true
dpid=
if [ -s "$tmp/events" ]; then echo "  server log: $(cat "$tmp/events")"; fi
if grep -qi "panic" "$tmp/stderr"; then
  echo "  the server panicked:" >&2
  grep -i -m5 -A3 "panic" "$tmp/stderr" >&2
  [ "$rc" = 0 ] && rc=1
fi
exit "$rc"
