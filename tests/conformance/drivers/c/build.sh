#!/usr/bin/env bash
# Builds the C driver against the debug libsio: target/conformance/sio-c-driver.
#   bash tests/conformance/drivers/c/build.sh      (from anywhere)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cargo build --quiet -p sio-ffi --manifest-path "$root/Cargo.toml"
mkdir -p "$root/target/conformance"
"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -O1 -g -I"$root/include" -o "$root/target/conformance/sio-c-driver" \
  "$here/driver.c" -L"$root/target/debug" -lsio -Wl,-rpath,"$root/target/debug" -lpthread
