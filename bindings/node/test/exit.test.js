'use strict';
// Handles do not keep the process alive: a script that closes everything exits by itself.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

function runScript(code) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code], { cwd: path.join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit by itself; output: ${out}`));
    }, 15000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, out });
    });
  });
}

test('the process exits after io.close() and socket.disconnect()', async () => {
  const { code, out } = await runScript(`
    const { Server, io } = require('.');
    const srv = new Server(0);
    srv.on('connection', (s) => s.on('ping', (ack) => ack('pong')));
    const c = io('http://127.0.0.1:' + srv.httpServer.address().port);
    c.on('connect', async () => {
      console.log(await c.emitWithAck('ping'));
      c.disconnect();
      await srv.close();
      console.log('closed');
    });
  `);
  assert.equal(code, 0);
  assert.equal(out, 'pong\nclosed\n');
});

test('a client refused by the server does not keep the process alive', async () => {
  const { code, out } = await runScript(`
    const { Server, io } = require('.');
    const srv = new Server(0);
    srv.use((s, next) => next(new Error('no')));
    const c = io('http://127.0.0.1:' + srv.httpServer.address().port);
    c.on('connect_error', (e) => { console.log(e.message); srv.close(); });
  `);
  assert.equal(code, 0);
  assert.equal(out, 'no\n');
});

test('ESM import works', async () => {
  const { code, out } = await runScript(`
    import('sio-node').catch(() => import(require('node:path').resolve('index.mjs'))).then((m) => {
      console.log(typeof m.Server, typeof m.io, typeof m.default.Manager);
    });
  `);
  assert.equal(code, 0);
  assert.equal(out, 'function function function\n');
});
