#!/usr/bin/env bash
# Builds the addon (debug profile) and runs the Node tests: the shared suite against the
# official socket.io packages, against this addon, across both, plus error and exit tests.
set -euo pipefail
cd "$(dirname "$0")"
# `npm install` installs the dependencies (@napi-rs/cli and the official packages among the
# devDependencies) without its `prepare` build (--ignore-scripts: `prepare` would build the
# release addon when none is here yet). The addon is the debug build of the workspace's
# target/debug (`cargo build -p sio-node`, reusing what `cargo build --workspace` compiled).
# That the committed native.js / native.d.ts are what napi build generates is checked by
# packaging/test-pack.sh (the release build); `npm run build:debug` regenerates them here.
npm install --no-audit --no-fund --ignore-scripts
node scripts/build.js --workspace-debug
# No --test-force-exit: every test file must exit by itself once its tests closed what they
# opened (tests close servers and clients in t.after/after hooks, so a failing test does
# too; test/exit.test.js asserts the exit in scripts). `timeout` bounds a run that hangs.
timeout 600 node --test --test-reporter=spec test/
