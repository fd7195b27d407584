#!/usr/bin/env bash
# Samples where the release sio bench server spends its CPU under the echo or broadcast load
# (bench/PROFILE.md). Needs perf (Debian: linux-perf); uses the cpu-clock software event, so
# it works in VMs without hardware counters, and DWARF unwinding (no debug info needed).
#
#   bash bench/profile.sh echo|bcast [SERVER_COMMAND]     (after bash bench/run.sh built it)
#
# SERVER_COMMAND defaults to the release sio-bench-server; any command of the bench contract
# works (it gets --port P), e.g. for the bindings (after a full bench/run.sh):
#   bash bench/profile.sh echo bench/build/release/sio_c_server
#   NAPI_RS_NATIVE_LIBRARY_PATH=$PWD/bench/build/release/sio.node \
#     bash bench/profile.sh echo "node bench/servers/node_server.js --impl sio"
#   bash bench/profile.sh echo "bench/.venv/bin/python bench/servers/sio_python_server.py"
# Prints the CPU by shared object, the top symbols by self time and by inclusive time; the
# perf data stays in bench/build/perf.<scenario>.data for `perf report -i`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scenario="${1:?usage: profile.sh echo|bcast [SERVER_BINARY]}"
read -r -a server <<<"${2:-$repo/target/release/sio-bench-server}"
loadgen="$repo/target/release/loadgen"
out="$repo/bench/build/perf.$scenario.data"
mkdir -p "$repo/bench/build"
ulimit -n "$(ulimit -Hn)"

case "$scenario" in
  echo) args=(--scenario echo --clients 1000 --warmup 1 --duration 8); delay=2; secs=5 ;;
  bcast) args=(--scenario bcast --clients 10000 --broadcasts 40); delay=6; secs=6 ;;
  *) echo "unknown scenario $scenario" >&2; exit 64 ;;
esac

# exec: a backgrounded function runs in a subshell; its pid must become the program's.
pin() { if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ready="$(mktemp)"
pin 1 "${server[@]}" --port "$port" >"$ready" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$ready"' EXIT
for _ in $(seq 100); do grep -q ready "$ready" && break; sleep 0.1; done
pin 0 "$loadgen" --port "$port" --pid "$server_pid" "${args[@]}" >"$out.json" &
loadgen_pid=$!
sleep "$delay"
perf record -q -e cpu-clock -F 1000 --call-graph dwarf,16384 -p "$server_pid" -o "$out" -- sleep "$secs" >/dev/null 2>&1
wait "$loadgen_pid" || true
echo "== load generator: $(head -c 400 "$out.json")"
echo "== by shared object"
perf report -i "$out" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -12 || true
echo "== self time (top 30)"
# (head closes the pipe early: perf's SIGPIPE is expected)
perf report -i "$out" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -30 | cut -c1-150 || true
echo "== inclusive time, user space (top 60)"
perf report -i "$out" --children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | grep -v '\[k\]' | head -60 | cut -c1-150 || true
