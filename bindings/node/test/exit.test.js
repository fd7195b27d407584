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

test('the process exits after io.close() of a server attached to an http.Server', async () => {
  const { code, out } = await runScript(`
    const http = require('node:http');
    const { Server } = require('.');
    const { io } = require('socket.io-client');
    const hs = http.createServer((req, res) => res.end('app'));
    const srv = new Server(hs);
    srv.on('connection', (s) => s.on('ping', (ack) => ack('pong')));
    hs.listen(0, '127.0.0.1', () => {
      const c = io('http://127.0.0.1:' + hs.address().port);
      c.on('connect', async () => {
        console.log(await c.emitWithAck('ping'));
        c.disconnect();
        srv.close((err) => console.log('closed', err === undefined));
      });
    });
  `);
  assert.equal(code, 0);
  assert.equal(out, 'pong\nclosed true\n');
});

test('the process exits with a client whose auth function answers later', async () => {
  const { code, out } = await runScript(`
    const { Server, io } = require('.');
    const srv = new Server(0);
    srv.on('connection', (s) => console.log(s.handshake.auth.token));
    const c = io('http://127.0.0.1:' + srv.httpServer.address().port, { auth: (cb) => setTimeout(() => cb({ token: 'later' }), 20) });
    c.on('connect', () => {
      c.disconnect();
      srv.close();
    });
  `);
  assert.equal(code, 0);
  assert.equal(out, 'later\n');
});

test('disconnect() while the disconnect event of a dropped connection is on its way', async () => {
  // The client would reconnect (reconnection on) when its `transport close` event was
  // queued; disconnect() is called before that event is handled. The process must still
  // exit: the event may not keep the socket registered.
  const { code, out } = await runScript(`
    const { Server, io } = require('.');
    const srv = new Server(0);
    const c = io('http://127.0.0.1:' + srv.httpServer.address().port, { reconnectionDelay: 5000 });
    let s;
    const go = () => {
      if (!s || !c.connected) return; // both sides' events handled
      s.conn.close();
      const until = Date.now() + 300; // the client's native side handles the close meanwhile
      while (Date.now() < until);
      console.log(c.connected);
      c.disconnect();
      srv.close();
    };
    srv.on('connection', (x) => go(s = x));
    c.on('connect', go);
    c.on('disconnect', (r) => console.log(r));
  `);
  assert.equal(code, 0);
  assert.equal(out, 'true\ntransport close\n');
});

test('a client without reconnection exits after a transport close or a failed first connection', async () => {
  // socket.io-client keeps `active` true in both cases, yet nothing is pending: no retry.
  const { code, out } = await runScript(`
    const { Server, io } = require('.');
    const srv = new Server(0);
    const c = io('http://127.0.0.1:' + srv.httpServer.address().port, { reconnection: false });
    c.on('connect', () => srv.close());
    c.on('disconnect', (r) => console.log(r, c.active));
    const dead = io('http://127.0.0.1:1', { reconnection: false });
    dead.on('connect_error', () => console.log('connect_error', dead.active));
  `);
  assert.equal(code, 0);
  assert.deepEqual(out.split('\n').sort(), ['', 'connect_error true', 'transport close true']);
});
