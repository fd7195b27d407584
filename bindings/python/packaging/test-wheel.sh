#!/usr/bin/env bash
# What a Python user installs: the release wheel and the sdist of `sio-rs`.
#   1. `maturin build --release --sdist`: an sdist, and one abi3 manylinux wheel (CPython >= 3.9)
#      that maturin builds from that sdist, unpacked (so the sdist is proven to build);
#   2. the wheel goes into a fresh virtualenv, and the examples (server and client, sync and
#      asyncio) run from it with no Rust toolchain on PATH, against the official JS packages.
# Prints `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
py="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
ko() { failed=$((failed + 1)); echo "FAIL  $1"; }

"$py" -m pip install -q --disable-pip-version-check "maturin>=1.7,<2"
if [ ! -d "$repo/tests/node_modules/socket.io-client" ]; then
  npm ci --prefix "$repo/tests" --no-audit --no-fund
fi

# 1. release wheel + sdist (the workspace's target dir: its release dependencies are reused)
"$py" -m maturin build --quiet --release --sdist -m "$repo/bindings/python/Cargo.toml" -i "$py" -o "$work/dist"
wheel=$(ls "$work"/dist/sio_rs-*-cp39-abi3-manylinux_*.whl 2>/dev/null | head -n1)
sdist=$(ls "$work"/dist/sio_rs-*.tar.gz 2>/dev/null | head -n1)
if [ -n "$wheel" ]; then ok "abi3 manylinux wheel: $(basename "$wheel")"; else ko "no abi3 manylinux wheel in: $(ls "$work/dist")"; fi
if [ -n "$sdist" ]; then ok "sdist: $(basename "$sdist")"; else ko "no sdist"; fi

# 2. a fresh virtualenv, the wheel only, no Rust on PATH
if [ -n "$wheel" ]; then
  "$py" -m venv "$work/venv"
  "$work/venv/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
  bare="$work/venv/bin:$(dirname "$(command -v node)"):/usr/bin:/bin"
  if env PATH="$bare" sh -c 'command -v cargo || command -v rustc' >/dev/null; then
    ko "cargo or rustc is still on the bare PATH ($bare)"
  elif env PATH="$bare" python -c 'import sio_rs, sys; sys.exit(0 if sio_rs.__file__.startswith(sys.prefix) else 1)'; then
    ok "the wheel imports from the virtualenv without a toolchain"
    if env PATH="$bare" node "$here/run-examples.js" "$work/venv/bin/python" "$repo/examples/python"; then
      ok "examples (sync and asyncio, server and client) against the official packages"
    else
      ko "examples against the official packages"
    fi
  else
    ko "sio_rs does not import from the virtualenv"
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
