#!/usr/bin/env bash
# Runs every test of the project: Rust unit/property tests, then the real-peer suites
# (raw protocol tests, socket.io-client in Node, python-socketio, headless Chromium).
# Installs the npm and PyPI test dependencies itself; Chromium, Valgrind, CMake,
# redis-server and HAProxy must be on the machine (Debian: apt-get install chromium valgrind
# cmake redis-server haproxy), as .ci/run does. The cluster tests start their own Redis on free ports.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step prints the minutes:seconds since the start, to see where the time goes.
step() { printf '\n==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
trap 'printf "\n==> [%d:%02d] end\n" $((SECONDS / 60)) $((SECONDS % 60))' EXIT

step "npm test dependencies"
if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
  npm ci --prefix tests --no-audit --no-fund
fi

if [ -f tests/interop/python/requirements.txt ]; then
  step "python test dependencies"
  python3 -m pip install --quiet --disable-pip-version-check -r tests/interop/python/requirements.txt
fi

step "hygiene: rustfmt, clippy -D warnings, faces go through core::embed"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# A server-only build (`default-features = false`: no client, no rustls) stays clean.
cargo clippy -q -p sio-core --no-default-features -- -D warnings
bash scripts/check-layering.sh
# The published crates' docs build without broken or private intra-doc links.
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps -p sio-core -p sio-redis -p sio-ffi
# The publishable crates package (metadata, file lists, path dependencies with versions);
# `cargo package` without --no-verify also builds them from the packaged sources.
cargo package -q -p sio-core -p sio-redis -p sio-ffi --no-verify --allow-dirty

step "build (library, examples)"
cargo build --workspace --all-targets --examples
# The binding scripts take the libraries of this build (bindings/node/scripts/build.js).
export SIO_WORKSPACE_BUILT=1

step "rust tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
  cargo test --workspace --doc
else
  cargo test --workspace
fi

# Coverage-guided fuzzing of the parsers (fuzz/README.md), a 5 s smoke run per target:
# needs a nightly toolchain (cargo-fuzz/libFuzzer); installs cargo-fuzz if missing. A dev
# build (unoptimised, but quicker to compile) is enough for 5 s.
if rustup toolchain list 2>/dev/null | grep -q nightly; then
  step "fuzz smoke run (nightly, 5 s per target)"
  FUZZ_BUILD_ARGS="${FUZZ_BUILD_ARGS:---dev}" bash fuzz/run.sh 5
else
  step "fuzz smoke run: skipped (no nightly toolchain: rustup toolchain install nightly)"
fi

node_suites=()
for d in tests/protocol tests/interop/node tests/interop/browser tests/cluster; do
  [ -d "$d" ] && node_suites+=("$d")
done
if [ ${#node_suites[@]} -gt 0 ]; then
  step "node suites: ${node_suites[*]}"
  node --test --test-concurrency=1 "${node_suites[@]}"
fi

if [ -d tests/interop/python ]; then
  step "python suites"
  python3 -m pytest -q tests/interop/python
fi

if [ -f ffi/tests/c/run.sh ]; then
  step "C ABI: C/C++ programs (plain, ASan+UBSan, Valgrind)"
  bash ffi/tests/c/run.sh
fi

if [ -f bindings/python/test.sh ]; then
  step "Python binding"
  bash bindings/python/test.sh
fi

if [ -f bindings/python/packaging/test-wheel.sh ]; then
  step "Python package: release abi3 wheel and sdist; the wheel in a fresh virtualenv without Rust runs the examples"
  bash bindings/python/packaging/test-wheel.sh
fi

if [ -f bindings/node/test.sh ]; then
  step "Node binding"
  bash bindings/node/test.sh
fi

if [ -f bindings/node/packaging/test-pack.sh ]; then
  step "Node package: npm pack with the release addon; the tarball in a fresh project without Rust runs the chat example against socket.io-client"
  bash bindings/node/packaging/test-pack.sh
fi

if [ -f tests/conformance/runner.js ]; then
  # after the bindings: the matrix drives the built Node addon, the installed `sio` Python
  # package, libsio and the Rust driver against socket.io, python-socketio and Chromium
  step "conformance matrix: every scenario for every server x client (tests/conformance/REPORT.md)"
  node --test tests/conformance/runner.test.js
  node tests/conformance/runner.js
  # msgpack mode (socket.io-msgpack-parser on both sides), the scenarios of binary, acks,
  # namespaces, connect errors and recovery (the whole mode: --parser msgpack alone, ~70 s)
  node tests/conformance/runner.js --no-build --parser msgpack \
    --scenarios binary-client-ack,binary-server-ack,multiplex,middleware-refuse,invalid-namespace,state-recovery
fi

if [ -f bench/run.sh ]; then
  step "bench, quick mode: every server completes every scenario (bench/README.md)"
  bash bench/run.sh --quick
fi
