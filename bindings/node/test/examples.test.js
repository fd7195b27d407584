'use strict';
// examples/node/chat-server.mjs and chat-client.mjs against each other (child processes).
const { test } = require('node:test');
const path = require('node:path');
const { chatScenario } = require('./chat-scenario');

const dir = path.resolve(__dirname, '../../../examples/node');

test('chat example: server and client processes', { timeout: 60000 }, () =>
  chatScenario(path.join(dir, 'chat-server.mjs'), path.join(dir, 'chat-client.mjs')));

test('express example: the app route and socket.io on one port; SIGINT closes both and the process exits', { timeout: 60000 }, async (t) => {
  const { spawn } = require('node:child_process');
  const assert = require('node:assert/strict');
  const { io } = require('socket.io-client');
  const { once, bounded } = require('./suite');
  const child = spawn(process.execPath, [path.join(dir, 'express.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));
  let out = '';
  const port = await bounded(
    new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`express.mjs exited with ${code}: ${out}`)));
    }),
    20000,
    'listening',
  );
  const url = `http://127.0.0.1:${port}`;
  const c = io(url, { forceNew: true, reconnection: false });
  t.after(() => c.disconnect());
  await bounded(once(c, 'connect'), 5000, 'connect');
  assert.equal(await bounded(c.emitWithAck('echo', 'hi')), 'hi');
  assert.deepEqual(await (await fetch(`${url}/health`)).json(), { ok: true, clients: 1 });
  const disconnected = once(c, 'disconnect');
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  assert.equal((await bounded(disconnected, 5000, 'disconnect'))[0], 'transport close');
  assert.deepEqual(await bounded(exited, 10000, 'exit'), [0, null]);
  assert.match(out, /connect \S+ from (::ffff:)?127\.0\.0\.1 over polling/);
});
