#!/usr/bin/env bash
# The faces (ffi/, bindings/) are translations over core::embed: they should name nothing
# from sio_core::server / client / engine, nor tokio (DESIGN.md, "The embedding layer").
# Not every face is there yet, so this is a ratchet: it fails when the count of such lines
# grows past the number recorded below, and asks for the number to be lowered when it
# shrinks. The goal is 0.
set -euo pipefail
cd "$(dirname "$0")/.."
ALLOWED=0
pattern='sio_core::(server|client|engine)\b|use sio_core::\{[^}]*\b(server|client|engine)::|\btokio::'
# `|| true`: grep finds nothing once the goal is reached, which pipefail would make fatal.
count=$({ grep -rnE "$pattern" ffi/src bindings/python/src bindings/node/src || true; } | wc -l)
if [ "$count" -gt "$ALLOWED" ]; then
  echo "layering: $count lines in ffi/ or bindings/ reach past core::embed (allowed: $ALLOWED):" >&2
  grep -rnE "$pattern" ffi/src bindings/python/src bindings/node/src >&2
  echo "go through core::embed instead (or re-export the type there)" >&2
  exit 1
fi
if [ "$count" -lt "$ALLOWED" ]; then
  echo "layering: $count lines reach past core::embed, fewer than the $ALLOWED allowed: lower ALLOWED in $0" >&2
  exit 1
fi
echo "layering: $count lines reach past core::embed (ratchet at $ALLOWED, goal 0)"
