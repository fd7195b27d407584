'use strict';
// allowEIO3: socket.io-client 2.x (npm alias socket.io-client-v2) against this addon's
// server, over polling, WebSocket and the upgrade, as socket.io serves it: `/` joined without
// a CONNECT, the namespace query as `socket.handshake.auth`, ids `/nsp#<engine id>`, binary
// and acks both ways; without the option the 2.x client is refused. Every wait is on an event.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const ioV2 = require('socket.io-client-v2');
const { io } = require('socket.io-client');
const sio = require('..');
const { once, bounded } = require('./suite');

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function start(opts) {
  const srv = new sio.Server(0, opts);
  const url = `http://127.0.0.1:${srv.httpServer.address().port}`;
  const clients = [];
  cleanups.push(async () => {
    for (const c of clients) c.close();
    await srv.close();
  });
  const connect = (nsp = '', o = {}, client = ioV2) => {
    const c = client(url + nsp, { forceNew: true, reconnection: false, ...o });
    clients.push(c);
    return c;
  };
  return { srv, url, connect };
}

for (const [mode, transport] of Object.entries({ polling: { transports: ['polling'] }, websocket: { transports: ['websocket'] }, upgrade: {} })) {
  test(`[${mode}] socket.io-client 2.x: joins / at once, binary and acks both ways`, async () => {
    const { srv, connect } = start({ allowEIO3: true });
    srv.on('connection', (s) => {
      s.on('echo', (...args) => {
        const ack = args.pop();
        ack(...args);
      });
    });
    const conn = once(srv, 'connection');
    const c = connect('', transport);
    const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, 'connection');
    assert.equal(s.id, c.id, 'the id the 2.x client derives');
    assert.deepEqual(s.handshake.auth, {});
    if (mode === 'upgrade' && c.io.engine.transport.name !== 'websocket') await bounded(once(c.io.engine, 'upgrade'), 5000, 'upgrade');
    const a = Buffer.from([0, 1, 255]);
    const [echoed] = await bounded(new Promise((resolve) => c.emit('echo', { nested: a, n: 1 }, 'ü', (...r) => resolve(r))), 5000, 'ack');
    assert.ok(Buffer.isBuffer(echoed.nested));
    assert.deepEqual([...echoed.nested], [...a]);
    c.on('question', (b, ack) => ack('answer', b));
    const reply = await bounded(s.timeout(5000).emitWithAck('question', Buffer.from([7])), 5000, 'server ack');
    assert.equal(reply, 'answer');
    assert.equal(s.conn.transport.name, mode === 'polling' ? 'polling' : 'websocket');
  });
}

test('socket.io-client 2.x: the namespace query is the auth, a refusal is an error event with its data', async () => {
  const { srv, connect } = start({ allowEIO3: true });
  srv.of('/admin').use((s, next) => {
    if (s.handshake.auth.token === 'secret') return next();
    const err = new Error('unauthorized');
    err.data = { reason: 'bad token' };
    next(err);
  });
  const conn = once(srv.of('/admin'), 'connection');
  const ok = connect('/admin', { query: { token: 'secret' } });
  const [[s]] = await bounded(Promise.all([conn, once(ok, 'connect')]), 5000, '/admin connection');
  assert.deepEqual(s.handshake.auth, { token: 'secret' });
  assert.equal(s.id, `/admin#${ok.io.engine.id}`);
  assert.equal(s.id, ok.id);
  const bad = connect('/admin', { query: { token: 'nope' } });
  const [err] = await bounded(once(bad, 'error'), 5000, 'error event');
  assert.deepEqual(err, { reason: 'bad token' });
});

test('without allowEIO3 a 2.x client is refused; with it, 4.x clients still connect', async () => {
  const plain = start();
  const refused = plain.connect('', { transports: ['polling'] });
  await bounded(once(refused, 'connect_error'), 5000, 'connect_error');
  const { connect } = start({ allowEIO3: true });
  const v4 = connect('', { transports: ['websocket'] }, io);
  await bounded(once(v4, 'connect'), 5000, 'a 4.x client');
  assert.throws(() => new sio.Server({ allowEio3: true }), (e) => e.code === 'ERR_SIO_INVALID_OPTION' && /allowEIO3/.test(e.message));
});
