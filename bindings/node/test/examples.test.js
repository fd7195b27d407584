'use strict';
// examples/node/chat-server.mjs and chat-client.mjs against each other (child processes).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { bounded } = require('./suite');

const dir = path.resolve(__dirname, '../../../examples/node');

function run(file, args) {
  const child = spawn(process.execPath, [path.join(dir, file), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    waitFor(re) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit.match(re));
      return new Promise((resolve) => waiters.push({ re, resolve }));
    },
  };
}

test('chat example: server and client processes', { timeout: 60000 }, async (t) => {
  const server = run('chat-server.mjs', ['--port', '0']);
  t.after(() => server.child.kill('SIGTERM'));
  const [, port] = await bounded(server.waitFor(/^listening (\d+)$/), 20000, 'server start');
  const url = `http://127.0.0.1:${port}`;

  // bob stays in the room and sees ann's message; ann sends and exits by herself.
  const bob = run('chat-client.mjs', ['--url', url, '--name', 'bob', '--room', 'dev', '--stay']);
  t.after(() => bob.child.kill('SIGTERM'));
  await bounded(bob.waitFor(/"kind":"rooms"/), 20000, 'bob joined');
  assert.deepEqual(JSON.parse(bob.lines.find((l) => l.includes('"rooms"'))).data, ['dev', 'lobby']);

  const ann = run('chat-client.mjs', ['--url', url, '--name', 'ann', '--room', 'dev', 'hello dev']);
  assert.equal(await bounded(ann.exited, 20000, 'ann to finish'), 0, ann.stderr());
  const parsed = ann.lines.map((l) => JSON.parse(l));
  assert.deepEqual(parsed.find((l) => l.kind === 'rooms').data, ['dev', 'lobby']);
  assert.deepEqual(parsed.find((l) => l.kind === 'ack').data, { user: 'ann', text: 'hello dev', room: 'dev' });

  const [line] = await bounded(bob.waitFor(/"kind":"message"/), 10000, 'bob to get the message');
  assert.deepEqual(JSON.parse(bob.lines.find((l) => l.includes('"kind":"message"'))).data, { user: 'ann', text: 'hello dev', room: 'dev' });
  void line;
  await bounded(server.waitFor(/^disconnect \S+ reason "client namespace disconnect"$/), 10000, 'server to see ann leave');

  bob.child.kill('SIGTERM');
  server.child.kill('SIGTERM');
  assert.equal(await bounded(server.exited, 10000, 'server exit'), 0, server.stderr());
});
