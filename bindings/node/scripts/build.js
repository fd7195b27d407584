#!/usr/bin/env node
'use strict';
// Builds the native addon with napi-rs's CLI (`@napi-rs/cli`, a devDependency):
//   npm run build          release profile (what `npm pack` ships: its prepack script)
//   npm run build:debug    debug profile (napi build: its own target/<triple>/debug)
//   node scripts/build.js --workspace-debug
//                          test.sh: `cargo build -p sio-node` in the workspace's target/debug,
//                          whose dependencies `cargo build --workspace` already compiled (napi
//                          build's --target would compile them all again); does not regenerate
//                          native.js / native.d.ts (the release build, test-pack.sh, checks them)
// Writes sio.<platform>.node, native.js and native.d.ts (generated, committed) in this folder.
// Further arguments go to `napi build` (e.g. `npm run build -- --target aarch64-unknown-linux-gnu`).
// `--if-missing` (the `prepare` script: `npm install` in this folder, or `npm install <this
// folder>` from another project, which links it without installing its dependencies) builds
// only when no addon is here yet, installing this folder's dependencies first if needed.
// npm never runs `prepare` when it installs the packed tarball, which ships the prebuilt
// addon: installing the package never builds.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ifMissing = process.argv.includes('--if-missing');
const workspaceDebug = process.argv.includes('--workspace-debug');
const args = process.argv.slice(2).filter((a) => a !== '--if-missing' && a !== '--workspace-debug');

function fail(message) {
  console.error(`sio-node build: ${message}`);
  process.exit(1);
}

if (ifMissing) {
  const built = fs.readdirSync(root).some((f) => /^sio\..+\.node$/.test(f));
  if (built) process.exit(0);
  let hasCli = true;
  try {
    require.resolve('@napi-rs/cli/package.json', { paths: [root] });
  } catch {
    hasCli = false;
  }
  if (!hasCli) {
    // Linked from another project: npm ran this script without installing our dependencies.
    console.error('sio-node build: installing the dependencies of ' + root);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const inst = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: root, stdio: 'inherit' });
    if (inst.error || inst.status !== 0) fail('`npm install` in ' + root + ' failed');
  }
}

// The napi-rs platform name of this machine (linux-x64-gnu), as the generated loader spells it.
function platformName() {
  const { platform, arch } = process;
  if (platform !== 'linux') return `${platform}-${arch}`;
  const glibc = process.report.getReport().header.glibcVersionRuntime;
  return `${platform}-${arch}-${glibc ? 'gnu' : 'musl'}`;
}

if (workspaceDebug) {
  const cargoBin = process.env.CARGO || 'cargo';
  // SIO_WORKSPACE_BUILT=1 (scripts/test.sh, after `cargo build --workspace --all-targets
  // --examples`): the same command again, which finds the addon built. `-p sio-node` alone
  // would unify other dependency features and compile sio-core and a dozen crates again.
  const whole = process.env.SIO_WORKSPACE_BUILT === '1';
  const cargoArgs = whole ? ['build', '--workspace', '--all-targets', '--examples'] : ['build', '-p', 'sio-node', '--lib', ...args];
  const built = spawnSync(cargoBin, cargoArgs, { cwd: root, stdio: 'inherit' });
  if (built.error || built.status !== 0) fail(`\`cargo ${cargoArgs.join(' ')}\` failed`);
  const meta = spawnSync(cargoBin, ['metadata', '--format-version', '1', '--no-deps'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (meta.error || meta.status !== 0) fail('`cargo metadata` failed');
  const file = { darwin: 'libsio_node.dylib', win32: 'sio_node.dll' }[process.platform] || 'libsio_node.so';
  const lib = path.join(JSON.parse(meta.stdout).target_directory, 'debug', file);
  fs.copyFileSync(lib, path.join(root, `sio.${platformName()}.node`));
  process.exit(0);
}

let cli;
try {
  const pkg = require.resolve('@napi-rs/cli/package.json', { paths: [root] });
  cli = path.join(path.dirname(pkg), require(pkg).bin.napi);
} catch {
  fail(
    `@napi-rs/cli (a devDependency) is not installed in ${root}.\n` +
      `  Run \`npm install\` there first, then \`npm run build\`.\n` +
      `  To use sio-node without building it, install a packed tarball (npm install ./sio-node-<version>.tgz, see README.md).`,
  );
}
if (!fs.existsSync(path.join(root, 'Cargo.toml'))) {
  fail(`no Cargo.toml in ${root}: the addon builds from a source checkout of the sio repository only.`);
}
const cargo = spawnSync(process.env.CARGO || 'cargo', ['--version'], { stdio: 'ignore' });
if (cargo.error || cargo.status !== 0) {
  fail('cargo was not found on PATH: building the addon needs a Rust toolchain (https://rustup.rs).');
}

const napiArgs = ['build', '--platform', '--manifest-path', 'Cargo.toml', '--output-dir', '.', '--js', 'native.js', '--dts', 'native.d.ts'];
const release = args.includes('--release') || args.includes('-r');
const rest = args.filter((a) => a !== '--release' && a !== '-r');
if (release) napiArgs.push('--release');
const run = spawnSync(process.execPath, [cli, ...napiArgs, ...rest], { cwd: root, stdio: 'inherit' });
if (run.error) fail(run.error.message);
process.exit(run.status === null ? 1 : run.status);
