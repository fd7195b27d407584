'use strict';
// The core's logs through `debug` (lib/log.js): child processes, so that DEBUG applies
// when the addon loads, as it does for an application.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const root = path.join(__dirname, '..');
const SIO_LINE = /\bsio(:[a-z]+)* /;

/** Runs `code` in a child Node with DEBUG set to `debug` (or unset); a child. */
function child(code, debug) {
  const env = { ...process.env };
  delete env.DEBUG;
  delete env.DEBUG_COLORS;
  if (debug !== undefined) env.DEBUG = debug;
  const c = spawn(process.execPath, ['-e', code], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  c.out = '';
  c.err = '';
  c.stdout.on('data', (d) => (c.out += d));
  c.stderr.on('data', (d) => (c.err += d));
  return c;
}

/** Waits for the child to exit by itself (killed, and failing, after 15 s). */
function exited(c) {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new Error(`the child did not exit by itself; stdout: ${c.out} stderr: ${c.err}`));
    }, 15000);
    c.on('close', (code) => {
      clearTimeout(guard);
      resolve(code);
    });
  });
}

/** Resolves once the child's stderr matches `re` (rejects after `ms`, or if it exits first). */
function stderrMatches(c, re, ms = 10000) {
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(guard);
      c.stderr.off('data', check);
      c.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const check = () => re.test(c.err) && done();
    const closed = () => done(new Error(`the child exited before ${re}; stderr: ${c.err}`));
    const guard = setTimeout(() => done(new Error(`no ${re} within ${ms} ms; stderr: ${c.err}`)), ms);
    c.stderr.on('data', check);
    c.on('close', closed);
    check();
  });
}

// An addon server, the official client: connects, disconnects, everything closes, and
// the process exits by itself (the log sink does not hold it).
const CONNECT_DISCONNECT = `
  const { Server } = require('.');
  const { io } = require('socket.io-client');
  const srv = new Server(0);
  srv.on('connection', (s) => s.on('disconnect', (reason) => { console.log(reason); srv.close(); }));
  const c = io('http://127.0.0.1:' + srv.httpServer.address().port, { reconnection: false });
  c.on('connect', () => c.disconnect());
`;

test('DEBUG=sio:* writes the server records: socket connected, disconnected with its reason', async () => {
  const c = child(CONNECT_DISCONNECT, 'sio:*');
  assert.equal(await exited(c), 0, c.err);
  assert.equal(c.out, 'client namespace disconnect\n');
  const lines = c.err.split('\n');
  const connected = lines.find((l) => / sio:server socket connected ns=\/ id=\S+/.test(l));
  assert.ok(connected, c.err);
  const id = / id=(\S+)/.exec(connected)[1];
  assert.ok(
    lines.some((l) => l.includes(` sio:server socket disconnected ns=/ id=${id} reason=client namespace disconnect`)),
    c.err
  );
  assert.match(c.err, / sio:engine session opened sid=\S+ transport=polling/);
});

test('without DEBUG: no sio lines, and no native log sink installed', async () => {
  const c = child(CONNECT_DISCONNECT, undefined);
  assert.equal(await exited(c), 0, c.err);
  assert.equal(c.out, 'client namespace disconnect\n');
  assert.doesNotMatch(c.err, SIO_LINE);

  // Other namespaces enabled, none of ours: still no sink.
  const code = `
    const native = require('./native.js');
    const set = native.setLogLevel;
    const calls = [];
    native.setLogLevel = (level) => { calls.push(level); return set(level); };
    require('.');
    console.log(JSON.stringify(calls));
  `;
  const none = child(code, 'socket.io:*,engine');
  assert.equal(await exited(none), 0, none.err);
  assert.equal(none.out, '[]\n');
  const some = child(code, 'sio:server');
  assert.equal(await exited(some), 0, some.err);
  assert.equal(some.out, '[4]\n'); // debug level: no namespace of trace records enabled
});

test('DEBUG=sio:* shows a Redis outage (a warning, sio:redis)', async () => {
  // A port nothing listens on.
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const c = child(
    `
    const { Server, RedisAdapter } = require('.');
    new Server(0, { adapter: new RedisAdapter('redis://127.0.0.1:${port}') });
  `,
    'sio:*'
  );
  try {
    await stderrMatches(c, / sio:redis WARN redis adapter: redis unreachable;/);
  } finally {
    c.kill('SIGKILL');
    await exited(c).catch(() => {});
  }
});

test('the addon client logs under sio:client; enableLogs() turns logs on from code', async () => {
  const c = child(
    `
    const sio = require('.');
    sio.enableLogs('sio:client,sio:server');
    const srv = new sio.Server(0);
    srv.on('connection', (s) => s.on('disconnect', () => srv.close()));
    const c = sio.io('http://127.0.0.1:' + srv.httpServer.address().port, { reconnection: false });
    c.on('connect', () => c.disconnect());
  `,
    undefined
  );
  assert.equal(await exited(c), 0, c.err);
  assert.match(c.err, / sio:client connection opened url=\S+ sid=\S+/);
  assert.match(c.err, / sio:server socket connected /);
  assert.doesNotMatch(c.err, / sio:engine /); // not enabled

  // disableLogs() stops them.
  const off = child(
    `
    const sio = require('.');
    sio.disableLogs();
    const srv = new sio.Server(0);
    srv.on('connection', (s) => s.on('disconnect', () => srv.close()));
    const c = sio.io('http://127.0.0.1:' + srv.httpServer.address().port, { reconnection: false });
    c.on('connect', () => c.disconnect());
  `,
    'sio:*'
  );
  assert.equal(await exited(off), 0, off.err);
  assert.doesNotMatch(off.err, SIO_LINE);
});
