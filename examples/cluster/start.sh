#!/usr/bin/env bash
# Starts one cluster behind one Redis: two sio nodes (ports 3001, 3002) and one Node.js
# socket.io node with @socket.io/redis-adapter (port 3003). Ctrl-C stops everything.
#   bash examples/cluster/start.sh            (REDIS_PORT=6390 by default)
# Needs redis-server (Debian: apt-get install redis-server) and `npm install --prefix tests`.
set -euo pipefail
cd "$(dirname "$0")/../.."
redis_port="${REDIS_PORT:-6390}"
redis="redis://127.0.0.1:${redis_port}"

cargo build -q -p sio-redis --example cluster-node
[ -d tests/node_modules/@socket.io/redis-adapter ] || npm install --prefix tests --no-audit --no-fund

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
pids+=($!)
sleep 0.5
target/debug/examples/cluster-node --port 3001 --redis "$redis" --name sio-a & pids+=($!)
target/debug/examples/cluster-node --port 3002 --redis "$redis" --name sio-b & pids+=($!)
node examples/cluster/node-server.js --port 3003 --redis "$redis" --name node & pids+=($!)
echo "cluster up: sio on :3001 and :3002, Node socket.io on :3003, Redis on :${redis_port}"
wait
