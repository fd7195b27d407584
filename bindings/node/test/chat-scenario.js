'use strict';
// The chat example's scenario (examples/node/chat-server.mjs and chat-client.mjs as child
// processes): bob stays in room "dev", ann sends "hello dev" there and exits by herself; bob
// gets it, the server logs both, and every process exits cleanly. Run by test/examples.test.js
// on this folder's package and by packaging/run-chat.js on a package installed from the tarball.
const { spawn } = require('node:child_process');
const assert = require('node:assert/strict');
const path = require('node:path');
const readline = require('node:readline');

function bounded(p, ms, what) {
  let t;
  const limit = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(t));
}

/** A child process whose stdout lines can be awaited. */
function run(file, args, children) {
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
      const name = path.basename(file);
      return bounded(new Promise((resolve) => waiters.push({ re, resolve })), ms, `${what} (${name} printed: ${JSON.stringify(lines)} stderr: ${stderr})`);
    },
  };
}

/** Plays the scenario with `serverFile` and `clientFile`; kills what is left on failure. */
async function chatScenario(serverFile, clientFile) {
  const children = [];
  try {
    const server = run(serverFile, ['--port', '0'], children);
    const [, port] = await server.waitFor(/^listening (\d+)$/, 20000, 'the server to listen');
    const url = `http://127.0.0.1:${port}`;

    const bob = run(clientFile, ['--url', url, '--name', 'bob', '--room', 'dev', '--stay'], children);
    await bob.waitFor(/"kind":"rooms"/, 20000, 'bob to join');
    assert.deepEqual(JSON.parse(bob.lines.find((l) => l.includes('"rooms"'))).data, ['dev', 'lobby']);

    const ann = run(clientFile, ['--url', url, '--name', 'ann', '--room', 'dev', 'hello dev'], children);
    assert.equal(await bounded(ann.exited, 20000, 'ann to finish'), 0, ann.stderr());
    const parsed = ann.lines.map((l) => JSON.parse(l));
    assert.deepEqual(parsed.find((l) => l.kind === 'rooms').data, ['dev', 'lobby']);
    assert.deepEqual(parsed.find((l) => l.kind === 'ack').data, { user: 'ann', text: 'hello dev', room: 'dev' });

    await bob.waitFor(/"kind":"message"/, 10000, 'bob to get the message');
    const message = JSON.parse(bob.lines.find((l) => l.includes('"kind":"message"')));
    assert.deepEqual(message.data, { user: 'ann', text: 'hello dev', room: 'dev' });
    await server.waitFor(/^connect \S+ as "ann" over (polling|websocket)$/, 10000, 'the server to log ann');
    await server.waitFor(/^disconnect \S+ reason "client namespace disconnect"$/, 10000, 'the server to see ann leave');

    bob.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    assert.equal(await bounded(server.exited, 10000, 'the server to exit'), 0, server.stderr());
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

module.exports = { chatScenario };
