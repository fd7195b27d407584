#!/usr/bin/env bash
# Builds the addon (debug profile) and runs the Node tests: the shared suite against the
# official socket.io packages, against this addon, across both, plus error and exit tests.
set -euo pipefail
cd "$(dirname "$0")"
# `npm install` installs the dependencies (@napi-rs/cli and the official packages among the
# devDependencies) without its `prepare` build; `npm run build:debug` compiles the addon with cargo (napi build, debug
# profile, in the workspace's target/debug) and regenerates native.js / native.d.ts.
# The generated napi files must be the committed ones: keep the tree's copies, regenerate,
# and fail if Rust changed without the regenerated files being committed with it.
snap="$(mktemp -d)"
trap 'rm -rf "$snap"' EXIT
cp native.d.ts native.js "$snap/"
# --ignore-scripts: `prepare` would build the release addon when none is here yet.
npm install --no-audit --no-fund --ignore-scripts
npm run build:debug
for f in native.d.ts native.js; do
  if ! diff -u "$snap/$f" "$f"; then
    echo "test.sh: $f differs from the regenerated one (napi build): commit the regenerated file" >&2
    exit 1
  fi
done
# No --test-force-exit: every test file must exit by itself once its tests closed what they
# opened (tests close servers and clients in t.after/after hooks, so a failing test does
# too; test/exit.test.js asserts the exit in scripts). `timeout` bounds a run that hangs.
timeout 600 node --test --test-reporter=spec test/
