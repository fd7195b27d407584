#!/usr/bin/env bash
# Builds the addon (debug profile) and runs the Node tests: the shared suite against the
# official socket.io packages, against this addon, across both, plus error and exit tests.
set -euo pipefail
cd "$(dirname "$0")"
# `npm install` installs @napi-rs/cli and the official packages, then its install script
# compiles the addon with cargo (napi build) and regenerates native.js / native.d.ts.
npm install --no-audit --no-fund
node --test --test-reporter=spec test/
