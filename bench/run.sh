#!/usr/bin/env bash
# Builds every bench server and the load generator, runs them one after another under the
# same load and writes bench/RESULTS.md (see bench/README.md).
#
#   bash bench/run.sh                 # full run: release builds, 3 runs of each measurement
#   bash bench/run.sh --quick         # CI: debug builds, small N, 1 run; fails unless every
#                                     # server completed every scenario; writes no report
#   bash bench/run.sh --servers sio,socket.io --scenarios echo --repeats 5    (any subset)
#
# Environment: BENCH_SOCKETIOXIDE=0 skips socketioxide (its first build takes ~1-2 min);
# BENCH_PYTHON=/path/to/python uses that interpreter for both Python servers instead of
# the bench virtualenv (it needs `sio`, python-socketio and aiohttp); CARGO_TARGET_DIR is
# honoured (the binaries are taken from it). Scenario cluster-bcast needs redis-server on
# PATH; without it its rows say n/a.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

quick=0
for a in "$@"; do
  [ "$a" = "--quick" ] && quick=1
  # The options are run.py's: show them without building anything.
  if [ "$a" = "--help" ] || [ "$a" = "-h" ]; then exec python3 bench/run.py --help; fi
done
if [ "$quick" = 1 ]; then profile=debug; cargo_profile=(); else profile=release; cargo_profile=(--release); fi
build="bench/build/$profile"
# Where cargo puts the binaries: CARGO_TARGET_DIR if set (relative to the repository, as
# cargo takes it from here), else target/.
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
bins="$target_dir/$profile"
mkdir -p "$build"
step() { printf '\n==> %s\n' "$*"; }

# 10k clients need 10k descriptors in the server and in the generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10100 ] && [ "$quick" = 0 ]; then
  echo "run.sh: open-file limit $(ulimit -n) is below 10100: the 10k scenarios will fail" >&2
fi

step "build: load generator, baseline, sio bench server, libsio, Node addon ($profile)"
if [ "$quick" = 1 ]; then
  # scripts/test.sh's own build command: in CI it has just run, so nothing is rebuilt
  # (a -p subset would unify features differently and compile sio-core once more).
  cargo build --workspace --all-targets --examples
else
  cargo build --release -p sio-bench-loadgen -p sio-bench-baseline -p sio-bench-server -p sio-ffi -p sio-node
fi
# The addon's native library under a .node name, loaded through NAPI_RS_NATIVE_LIBRARY_PATH
# so that bindings/node keeps its own (debug) build.
cp "$bins/libsio_node.so" "$build/sio.node.tmp" && mv "$build/sio.node.tmp" "$build/sio.node"

step "build: C server on libsio"
cc -std=c11 -O2 -Wall -Wextra -Werror -o "$build/sio_c_server" bench/servers/sio_c_server.c \
  -Iinclude -L"$bins" -lsio -Wl,-rpath,"$bins" -lpthread

socketioxide_bin=""
if [ "${BENCH_SOCKETIOXIDE:-1}" != 0 ]; then
  step "build: socketioxide server (own workspace, bench/socketioxide/target, $profile)"
  cargo build "${cargo_profile[@]}" --manifest-path bench/socketioxide/Cargo.toml --target-dir bench/socketioxide/target
  socketioxide_bin="$repo/bench/socketioxide/target/$profile/socketioxide-bench-server"
else
  echo "socketioxide skipped (BENCH_SOCKETIOXIDE=0)"
fi

step "node: socket.io, @socket.io/redis-adapter, redis (tests/node_modules)"
if [ ! -d tests/node_modules/socket.io ] || [ ! -d tests/node_modules/@socket.io/redis-adapter ] || [ ! -d tests/node_modules/redis ]; then
  npm ci --prefix tests --no-audit --no-fund
fi

# Scenario cluster-bcast starts its own redis-server (a free port, no persistence).
scenarios=""
prev=""
for a in "$@"; do
  case "$a" in --scenarios=*) scenarios="${a#--scenarios=}" ;; esac
  [ "$prev" = "--scenarios" ] && scenarios="$a"
  prev="$a"
done
if ! command -v redis-server >/dev/null 2>&1 && { [ -z "$scenarios" ] || [[ ",$scenarios," == *,cluster-bcast,* ]]; }; then
  echo "redis-server is not installed: scenario cluster-bcast is skipped (its rows say n/a)." >&2
  echo "  install it with: apt-get install -y redis-server   (Debian/Ubuntu)" >&2
fi

step "python: sio binding, python-socketio, aiohttp"
# python-socketio & co at the versions the interop suite pins.
pins=$(grep -E '^(python-socketio|python-engineio|aiohttp)[=\[]' tests/interop/python/requirements.txt | sed 's/\[client\]//')
py="${BENCH_PYTHON:-}"
if [ -z "$py" ] && [ "$quick" = 1 ] && python3 -c 'import sio_rs, socketio, aiohttp' 2>/dev/null; then
  py=python3   # CI: scripts/test.sh installed the binding (debug) and python-socketio already
fi
if [ -z "$py" ]; then
  # A virtualenv of our own: other checkouts install `sio` into the shared interpreter too.
  venv=bench/.venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  py="$repo/$venv/bin/python"
  "$py" -m pip install -q --disable-pip-version-check "maturin>=1.7,<2" $pins
  rm -rf "$build/wheels"
  "$py" -m maturin build --quiet "${cargo_profile[@]}" -m bindings/python/Cargo.toml -i "$py" -o "$build/wheels"
  "$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$build"/wheels/sio_rs-*.whl
fi

step "run"
exec python3 bench/run.py --bin-dir "$bins" --profile "$profile" --python "$py" \
  --addon "$repo/$build/sio.node" --socketioxide "$socketioxide_bin" "$@"
