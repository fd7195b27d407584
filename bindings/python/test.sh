#!/usr/bin/env bash
# Builds the `sio_rs` Python package (distribution `sio-rs`) into the current Python and runs its tests.
#   bash bindings/python/test.sh            (from anywhere; needs Rust, Python >= 3.9, Node 20)
# A debug build (maturin build, dev profile: shares the workspace's compiled
# dependencies) installed as a wheel; `pip install ./bindings/python` is the release path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py="${PYTHON:-python3}"

"$py" -m pip install -q --disable-pip-version-check "maturin>=1.7,<2" "pytest>=7" "mypy==2.4.1"
# python-socketio & co, pinned as in the interop suite
"$py" -m pip install -q --disable-pip-version-check -r "$repo/tests/interop/python/requirements.txt"
# the official JS client and server (tests/node_modules)
if [ ! -d "$repo/tests/node_modules/socket.io-client" ]; then
  npm ci --prefix "$repo/tests" --no-audit --no-fund
fi

wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
"$py" -m maturin build --quiet -m "$here/Cargo.toml" -i "$py" -o "$wheels"
"$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/sio_rs-*.whl

# The type stubs (python/sio_rs/_sio.pyi and the inline annotations) against the installed
# module; stubtest-allowlist.txt lists, with reasons, what stubtest cannot understand.
# Run from a directory without a `sio_rs` folder so that the installed package is checked.
(cd "$wheels" && "$py" -m mypy.stubtest sio_rs --allowlist "$here/stubtest-allowlist.txt")

cd "$here"
"$py" -m pytest -q -p no:cacheprovider tests "$@"
