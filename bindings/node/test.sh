#!/usr/bin/env bash
# Builds the addon (debug profile) and runs the Node tests: the shared suite against the
# official socket.io packages, against this addon, across both, plus error and exit tests.
set -euo pipefail
cd "$(dirname "$0")"
# `npm install` installs @napi-rs/cli and the official packages, then its install script
# compiles the addon with cargo (napi build) and regenerates native.js / native.d.ts.
npm install --no-audit --no-fund
# --test-force-exit: a test file whose process stays alive must not hang the run (that the
# process exits by itself after close() is asserted separately, in test/exit.test.js).
timeout 600 node --test --test-force-exit --test-reporter=spec test/
