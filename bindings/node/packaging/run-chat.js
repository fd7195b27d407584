'use strict';
// The chat example from an installed sio-node, against the official socket.io-client:
//   node run-chat.js <server.mjs> <client.mjs>
// <server.mjs> is examples/node/chat-server.mjs importing 'sio-node' (copied into a project
// that installed the package); <client.mjs> is chat-client.mjs importing 'socket.io-client'.
// Bob stays in room "dev", ann sends "hello dev" there and exits; bob must get it, the
// server must log both, and every process must exit cleanly. Exits 0 on success.
const { spawn } = require('node:child_process');
const assert = require('node:assert/strict');
const path = require('node:path');
const readline = require('node:readline');

const [serverFile, clientFile] = process.argv.slice(2).map((f) => path.resolve(f));
const children = [];

function run(file, args) {
  const child = spawn(process.execPath, [file, ...args], { cwd: path.dirname(file), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines = [];
  const waiters = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.slice()) if (w.re.test(l)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(l.match(w.re));
  });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    waitFor(re, ms, what) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit.match(re));
      return bounded(new Promise((resolve) => waiters.push({ re, resolve })), ms, `${what} (${path.basename(file)} printed: ${JSON.stringify(lines)} stderr: ${stderr})`);
    },
  };
}

function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const server = run(serverFile, ['--port', '0']);
  const [, port] = await server.waitFor(/^listening (\d+)$/, 20000, 'the server to listen');
  const url = `http://127.0.0.1:${port}`;

  const bob = run(clientFile, ['--url', url, '--name', 'bob', '--room', 'dev', '--stay']);
  await bob.waitFor(/"kind":"rooms"/, 20000, 'bob to join');
  assert.deepEqual(JSON.parse(bob.lines.find((l) => l.includes('"rooms"'))).data, ['dev', 'lobby']);

  const ann = run(clientFile, ['--url', url, '--name', 'ann', '--room', 'dev', 'hello dev']);
  assert.equal(await bounded(ann.exited, 20000, 'ann to finish'), 0, ann.stderr());
  const parsed = ann.lines.map((l) => JSON.parse(l));
  assert.deepEqual(parsed.find((l) => l.kind === 'rooms').data, ['dev', 'lobby']);
  assert.deepEqual(parsed.find((l) => l.kind === 'ack').data, { user: 'ann', text: 'hello dev', room: 'dev' });

  await bob.waitFor(/"kind":"message"/, 10000, 'bob to get the message');
  assert.deepEqual(JSON.parse(bob.lines.find((l) => l.includes('"kind":"message"'))).data, { user: 'ann', text: 'hello dev', room: 'dev' });
  await server.waitFor(/^connect \S+ as "ann" over (polling|websocket)$/, 10000, 'the server to log ann');
  await server.waitFor(/^disconnect \S+ reason "client namespace disconnect"$/, 10000, 'the server to see ann leave');

  bob.child.kill('SIGTERM');
  server.child.kill('SIGTERM');
  assert.equal(await bounded(server.exited, 10000, 'the server to exit'), 0, server.stderr());
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  },
);
