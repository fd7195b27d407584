'use strict';
// The addon's server in a cluster with an official socket.io server (@socket.io/redis-adapter),
// both behind a private redis-server; official clients on each. Needs redis-server on PATH.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const net = require('node:net');
const official = require('socket.io');
const { io } = require('socket.io-client');
const { createAdapter } = require('@socket.io/redis-adapter');
const { createClient } = require('redis');
const sio = require('..');

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const next = (emitter, ev, ms = 5000) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${ev}`)), ms);
    emitter.once(ev, (...a) => {
      clearTimeout(t);
      resolve(a);
    });
  });

let redis, pubsub, ours, theirs, clientOurs, clientTheirs;

before(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => redis.stdout.on('data', (d) => /Ready to accept/.test(d) && resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  pubsub = [pub, sub];
  const [p1, p2] = [await freePort(), await freePort()];
  ours = new sio.Server({ adapter: new sio.RedisAdapter(url) });
  theirs = new official.Server({ adapter: createAdapter(pub, sub) });
  for (const [name, srv] of [['sio', ours], ['node', theirs]]) {
    srv.on('whoami', (cb) => cb(name));
    srv.on('connection', (socket) => {
      socket.data = { on: name };
      socket.on('emit-all', (ev, ...args) => srv.emit(ev, ...args));
    });
  }
  ours.listen(p1);
  theirs.listen(p2);
  // Subscriptions settle asynchronously: wait until the addon counts both servers.
  for (let i = 0; i < 100 && (await ours.serverCount()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
  clientOurs = io(`http://127.0.0.1:${p1}`, { transports: ['websocket'], forceNew: true });
  clientTheirs = io(`http://127.0.0.1:${p2}`, { transports: ['websocket'], forceNew: true });
  await Promise.all([next(clientOurs, 'connect'), next(clientTheirs, 'connect')]);
});

after(async () => {
  clientOurs?.disconnect();
  clientTheirs?.disconnect();
  await new Promise((r) => (ours ? ours.close(() => r()) : r()));
  await new Promise((r) => (theirs ? theirs.close(() => r()) : r()));
  await Promise.all((pubsub ?? []).map((c) => c.quit().catch(() => {})));
  redis?.kill('SIGKILL');
});

test('serverCount counts both servers', async () => {
  assert.equal(await ours.serverCount(), 2);
});

test('broadcasts cross between the addon and socket.io, binary included', async () => {
  for (const from of [clientOurs, clientTheirs]) {
    const got = [next(clientOurs, 'hello'), next(clientTheirs, 'hello')];
    from.emit('emit-all', 'hello', 'x', Buffer.from([7]));
    for (const [s, b] of await Promise.all(got)) {
      assert.equal(s, 'x');
      assert.deepEqual([...b], [7]);
    }
  }
});

test('.local broadcasts reach only the sending server\'s sockets', async () => {
  for (const [srv, here, there] of [[ours, clientOurs, clientTheirs], [theirs, clientTheirs, clientOurs]]) {
    let leaked = false;
    const spy = () => (leaked = true);
    there.on('only-here', spy);
    const got = next(here, 'only-here');
    srv.local.emit('only-here', 1);
    assert.deepEqual(await got, [1]);
    // A cluster-wide broadcast after it: what the other server's client gets first is this one
    // (one Redis channel, in order), so a leaked local emit would have come before it.
    const marker = next(there, 'marker');
    srv.emit('marker');
    await marker;
    there.off('only-here', spy);
    assert.equal(leaked, false, 'a local emit reached the other server');
  }
});

test('fetchSockets from the addon sees the other server sockets with their data', async () => {
  const sockets = await ours.fetchSockets();
  const seen = sockets.map((s) => [s.id, s.data.on]).sort();
  assert.deepEqual(seen, [[clientOurs.id, 'sio'], [clientTheirs.id, 'node']].sort());
});

test('socket.io fetchSockets sees the addon sockets with their data, and joins them to a room', async () => {
  const sockets = await theirs.fetchSockets();
  const seen = sockets.map((s) => [s.id, s.data.on]).sort();
  assert.deepEqual(seen, [[clientOurs.id, 'sio'], [clientTheirs.id, 'node']].sort());
  const mine = sockets.find((s) => s.id === clientOurs.id);
  mine.join('joined-remotely');
  // The join travels as a request: retry the room broadcast until it lands.
  let got = false;
  for (let i = 0; i < 40 && !got; i++) {
    const p = next(clientOurs, 'to-room', 250).then(() => true, () => false);
    theirs.to('joined-remotely').emit('to-room');
    got = await p;
  }
  assert.ok(got, 'the addon socket never joined the room asked by socket.io');
});

test('serverSideEmitWithAck crosses both ways', async () => {
  assert.deepEqual(await ours.serverSideEmitWithAck('whoami'), ['node']);
  assert.deepEqual(await theirs.serverSideEmitWithAck('whoami'), ['sio']);
});

test('serverSideEmit on "/" reaches the main namespace listeners (io.on is io.of("/").on)', async () => {
  for (const [name, srv] of [['sio', ours], ['node', theirs]]) srv.of('/').on('main-whoami', (from, cb) => cb(`${name} got ${from}`));
  assert.deepEqual(await ours.of('/').serverSideEmitWithAck('main-whoami', 'sio'), ['node got sio']);
  assert.deepEqual(await theirs.serverSideEmitWithAck('main-whoami', 'node'), ['sio got node']);
});

test('each namespace hears its own server-side events (io.of("/admin").serverSideEmit)', async () => {
  for (const [name, srv] of [['sio', ours], ['node', theirs]]) {
    srv.of('/admin').on('ns-whoami', (from, cb) => cb(`${name}/admin got ${from}`));
    srv.on('ns-whoami', (from, cb) => cb(`${name}/ got ${from}`));
  }
  // Each node subscribes to /admin's channels asynchronously: until the other one has,
  // it counts no peer and the answers are [].
  const ask = async (srv, from) => {
    for (let i = 0; i < 100; i++) {
      const got = await srv.of('/admin').serverSideEmitWithAck('ns-whoami', from);
      if (got.length > 0) return got;
      await new Promise((r) => setTimeout(r, 50));
    }
    return [];
  };
  assert.deepEqual(await ask(ours, 'sio'), ['node/admin got sio']);
  assert.deepEqual(await ask(theirs, 'node'), ['sio/admin got node']);
  assert.deepEqual(await theirs.serverSideEmitWithAck('ns-whoami', 'node'), ['sio/ got node']);
});

test('an adapter of another package is refused with ERR_SIO_UNSUPPORTED_ADAPTER; a bad URL with ERR_SIO_INVALID_OPTION', () => {
  assert.throws(() => new sio.Server({ adapter: createAdapter(pubsub[0], pubsub[1]) }), { code: 'ERR_SIO_UNSUPPORTED_ADAPTER' });
  assert.throws(() => new sio.RedisAdapter('http://nope'), { code: 'ERR_SIO_INVALID_OPTION' });
});

test('RedisAdapter kind "redis-streams": two addon servers share a stream; an unknown kind is refused', async () => {
  assert.throws(() => new sio.Server({ adapter: new sio.RedisAdapter('redis://127.0.0.1:1', { kind: 'redis-cluster' }) }), {
    code: 'ERR_SIO_INVALID_OPTION',
    message: /adapter\.kind.*unknown kind/,
  });
  assert.throws(() => new sio.RedisAdapter('redis://127.0.0.1:1', { kinds: 'redis' }), { code: 'ERR_SIO_INVALID_OPTION' });
  // A Redis of its own: the classic adapter's channels share names with the streams adapter's.
  // (Mixed clusters with @socket.io/redis-streams-adapter: tests/cluster/streams.test.js.)
  const port = await freePort();
  const r = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => r.stdout.on('data', (d) => /Ready to accept/.test(d) && resolve()));
  const adapter = () => new sio.RedisAdapter(`redis://127.0.0.1:${port}`, { kind: 'redis-streams' });
  const [one, two] = [new sio.Server({ adapter: adapter() }), new sio.Server({ adapter: adapter() })];
  const [p1, p2] = [await freePort(), await freePort()];
  one.listen(p1);
  two.listen(p2);
  const c = io(`http://127.0.0.1:${p1}`, { transports: ['websocket'], forceNew: true });
  try {
    await next(c, 'connect');
    for (let i = 0; i < 100 && (await two.serverCount()) < 2; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(await two.serverCount(), 2);
    let got = null;
    for (let i = 0; i < 40 && !got; i++) {
      const p = next(c, 'streamed', 250).catch(() => null);
      two.emit('streamed', i, Buffer.from([9]));
      got = await p;
    }
    assert.ok(got, 'server two never reached server one through the stream');
    assert.deepEqual([...got[1]], [9]);
  } finally {
    c.disconnect();
    await new Promise((res) => one.close(() => res()));
    await new Promise((res) => two.close(() => res()));
    r.kill('SIGKILL');
  }
});
