#!/usr/bin/env bash
# User-space instructions and allocations per echo round trip of a bench server, counted by
# callgrind (bench/PROFILE.md). On this VM the machine's speed drifts by ±25% within
# minutes, so round trips/s cannot resolve a change of a few percent; instruction counts
# can (±3% between runs of one build). They leave out the kernel (about half of an echo's
# time) and run the server's threads one at a time, so a host's batches are smaller than
# under real load: compare two builds with this, then confirm with bench/run.sh.
#
#   bash bench/instructions.sh [SERVER_COMMAND]     (after bash bench/run.sh built it)
#
# SERVER_COMMAND as in bench/profile.sh (it gets --port P), e.g.
#   NAPI_RS_NATIVE_LIBRARY_PATH=$PWD/bench/build/release/sio.node \
#     bash bench/instructions.sh "node bench/servers/node_server.js --impl sio"
# Needs valgrind (Debian: valgrind). 50 clients, 15 s counted after a 9 s warm-up. With
# KEEP=FILE the callgrind dump is kept there (callgrind_annotate --tree=caller FILE: who
# allocates, what costs).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
read -r -a server <<<"${1:-$repo/target/release/sio-bench-server}"
loadgen="$repo/target/release/loadgen"
out="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" "${server[@]}" --port "$port" >"$out/ready" 2>/dev/null &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 600); do grep -q ready "$out/ready" && break; sleep 0.1; done
"$loadgen" --port "$port" --scenario echo --clients 50 --warmup 5 --duration 22 >"$out/loadgen.json" &
loadgen_pid=$!
sleep 9
t0=$(date +%s.%N)
callgrind_control -z "$server_pid" >/dev/null 2>&1
sleep 15
t1=$(date +%s.%N)
callgrind_control -d "$server_pid" >/dev/null 2>&1
wait "$loadgen_pid"
dump=$(ls "$out"/cg.*.1)
if [ -n "${KEEP:-}" ]; then cp "$dump" "$KEEP"; fi
callgrind_annotate --threshold=100 --tree=caller "$dump" >"$out/tree" 2>/dev/null
python3 - "$out/loadgen.json" "$out/tree" "$t0" "$t1" <<'EOF'
import json, re, sys
result = json.loads(open(sys.argv[1]).read(), strict=False)["result"]
lines = open(sys.argv[2]).read().split("\n")
total = next(int(l.split()[0].replace(",", "")) for l in lines if "PROGRAM TOTALS" in l)

def calls(name):
    """Calls into `name` (summed over its callers in the caller tree)."""
    n = 0
    for i, line in enumerate(lines):
        if "*  " in line and name in line:
            j = i - 1
            while j >= 0 and "<" in lines[j]:
                m = re.search(r"\(([\d,]+)x\)", lines[j])
                n += int(m.group(1).replace(",", "")) if m else 0
                j -= 1
    return n

round_trips = result["round_trips_per_s"] * (float(sys.argv[4]) - float(sys.argv[3]))
mallocs = calls("malloc.c:malloc [")
print(f"round trips/s under callgrind {result['round_trips_per_s']:.0f}")
print(f"instructions per round trip {total / round_trips:,.0f}")
print(f"mallocs per round trip {mallocs / round_trips:.1f}")
EOF
