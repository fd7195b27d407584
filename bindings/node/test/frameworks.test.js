'use strict';
// The server mounted on a web framework's http.Server — Express (`http.createServer(app)`)
// and Fastify (`fastify.server`), both from npm — with the official socket.io-client: the
// socket.io path is handed to the core by the http.Server itself (no loopback hop), every
// other route stays the application's, on the same port. Also: Engine.IO errors of the
// core reach the client (unknown sid on both transports, a body over maxHttpBufferSize),
// handshake.secure over an https.Server, and many messages both ways over the attached
// WebSocket (in order, none lost, with the flow control between ws and the core).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const https = require('node:https');
const express = require('express');
const Fastify = require('fastify');
const selfsigned = require('selfsigned');
const WebSocket = require('ws');
const { io } = require('socket.io-client');
const { Server } = require('..');
const { once, bounded } = require('./suite');

function listening(hs) {
  return new Promise((resolve) => hs.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${hs.address().port}`)));
}

// Each framework: an app with a route of its own and the socket.io server on its http.Server.
const FRAMEWORKS = {
  async express(opts) {
    const app = express();
    app.get('/hello', (req, res) => res.json({ from: 'express', q: req.query.x }));
    const hs = http.createServer(app);
    const srv = new Server(hs, opts);
    return { srv, hs, url: await listening(hs) };
  },
  async fastify(opts) {
    const app = Fastify();
    app.get('/hello', async (req) => ({ from: 'fastify', q: req.query.x }));
    const srv = new Server(app.server, opts);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { srv, hs: app.server, url: `http://127.0.0.1:${app.server.address().port}` };
  },
};

async function mount(t, name, opts) {
  const m = await FRAMEWORKS[name](opts);
  t.after(() => m.srv.close());
  m.srv.on('connection', (s) => {
    s.on('echo', (x, ack) => ack(x));
    s.on('ask me', async (ack) => ack(await s.timeout(5000).emitWithAck('question', 'q?')));
  });
  return m;
}

function connect(t, url, opts) {
  const c = io(url, { forceNew: true, reconnection: false, ...opts });
  t.after(() => c.disconnect());
  return c;
}

// What an unknown sid gets (engine.io's error body).
const UNKNOWN_SID = { code: 1, message: 'Session ID unknown' };

for (const name of Object.keys(FRAMEWORKS)) {
  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    const what = `${name}, official client over ${transports.join(' then ')}`;
    test(`${what}: acks both ways, binary, handshake.address, the app's route on the same port`, async (t) => {
      const { srv, url } = await mount(t, name);
      const conn = once(srv, 'connection');
      const c = connect(t, url, { transports });
      // Default transports: the client upgrades from polling to websocket.
      const upgraded = transports.length === 2 ? new Promise((r) => c.io.on('open', () => c.io.engine.once('upgrade', r))) : null;
      const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, what);
      if (upgraded) {
        // The server sees the upgrade when the client's upgrade packet arrives.
        const serverSide = s.conn.transport.name === 'websocket' ? null : once(s.conn, 'upgrade');
        assert.equal((await bounded(upgraded, 5000, 'upgrade')).name, 'websocket');
        if (serverSide) await bounded(serverSide, 5000, 'server-side upgrade');
      }
      assert.equal(c.io.engine.transport.name, transports.at(-1));
      assert.equal(s.conn.transport.name, transports.at(-1));

      // Client → server with an ack, server → client with an ack, binary both ways.
      assert.deepEqual(await bounded(c.emitWithAck('echo', { n: 1, s: 'é' }), 5000, 'echo'), { n: 1, s: 'é' });
      c.on('question', (q, ack) => ack(`answer to ${q}`));
      assert.equal(await bounded(c.emitWithAck('ask me'), 5000, 'server ack'), 'answer to q?');
      const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff));
      const back = await bounded(c.emitWithAck('echo', { bin: bytes, more: [Buffer.from([7])] }), 5000, 'binary echo');
      assert.ok(Buffer.from(back.bin).equals(bytes));
      assert.ok(Buffer.from(back.more[0]).equals(Buffer.from([7])));

      // The client's own address, not the listener's.
      assert.match(s.handshake.address, /^(::ffff:)?127\.0\.0\.1$/);
      assert.equal(s.handshake.secure, false);

      // The application's route, same port, while the socket.io client is connected.
      const res = await fetch(`${url}/hello?x=42`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { from: name, q: '42' });
      // Another path under neither: the framework's 404, not the core's.
      assert.equal((await fetch(`${url}/socket.io.x`)).status, 404);

      const left = once(s, 'disconnect');
      c.disconnect();
      assert.equal((await bounded(left, 5000, 'server disconnect'))[0], 'client namespace disconnect');
    });
  }

  test(`${name}: io.close() disconnects the sockets (server shutting down) and closes the http.Server`, async (t) => {
    const { srv, hs, url } = await mount(t, name);
    const sockets = [];
    for (const transports of [['polling'], ['websocket']]) {
      const conn = once(srv, 'connection');
      const c = connect(t, url, { transports });
      const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, transports[0]);
      sockets.push([s, c]);
    }
    const reasons = sockets.map(([s, c]) => Promise.all([once(s, 'disconnect'), once(c, 'disconnect')]));
    await srv.close();
    for (const [[server], [client]] of await bounded(Promise.all(reasons), 5000, 'disconnects')) {
      assert.equal(server, 'server shutting down');
      assert.equal(client, 'transport close');
    }
    assert.equal(hs.listening, false);
  });

  test(`${name}: an unknown sid gets the Engine.IO 400 over polling and over websocket`, async (t) => {
    const { url } = await mount(t, name);
    const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=nope`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), UNKNOWN_SID);

    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=nope`);
    const [, refused] = await bounded(once(ws, 'unexpected-response'), 5000, 'websocket refusal');
    assert.equal(refused.statusCode, 400);
    let body = '';
    for await (const chunk of refused) body += chunk;
    assert.deepEqual(JSON.parse(body), UNKNOWN_SID);
    ws.on('error', () => {});
    ws.terminate();
  });
}

test('express: a polling body over maxHttpBufferSize gets 413 and ends the session', async (t) => {
  const { srv, url } = await mount(t, 'express', { maxHttpBufferSize: 1000 });
  const conn = once(srv, 'connection');
  const c = connect(t, url, { transports: ['polling'] });
  const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]));
  const sid = s.conn.id;
  const left = once(s, 'disconnect');
  const post = (n) =>
    fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '4' + 'x'.repeat(n - 1) });
  assert.equal((await post(5000)).status, 413);
  assert.equal((await bounded(left))[0], 'transport error');
  // The session is gone: a body within the limit gets the unknown-sid error now.
  const after = await post(10);
  assert.equal(after.status, 400);
  assert.deepEqual(await after.json(), UNKNOWN_SID);
});

test('express: 2,000 messages each way over the attached websocket arrive in order', async (t) => {
  const { srv, url } = await mount(t, 'express');
  const N = 2000;
  const conn = once(srv, 'connection');
  const c = connect(t, url, { transports: ['websocket'] });
  const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]));
  const got = { server: [], client: [] };
  const serverDone = new Promise((resolve) => s.on('n', (i) => got.server.push(i) === N && resolve()));
  const clientDone = new Promise((resolve) => c.on('n', (i) => got.client.push(i) === N && resolve()));
  // A payload large enough that the writes do not all fit in one socket buffer.
  const pad = 'p'.repeat(2000);
  for (let i = 0; i < N; i++) {
    c.emit('n', i, pad);
    s.emit('n', i, pad);
  }
  await bounded(Promise.all([serverDone, clientDone]), 20000, 'all messages');
  const expected = Array.from({ length: N }, (_, i) => i);
  assert.deepEqual(got.server, expected);
  assert.deepEqual(got.client, expected);
});

test('https.Server: handshake.secure is true over polling and websocket, given to the constructor or attached later', async (t) => {
  const cert = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
  for (const later of [false, true]) {
    const hs = https.createServer({ key: cert.private, cert: cert.cert });
    const srv = later ? new Server().attach(hs) : new Server(hs);
    t.after(() => srv.close());
    await new Promise((resolve) => hs.listen(0, '127.0.0.1', resolve));
    for (const transports of [['polling'], ['websocket']]) {
      const conn = once(srv, 'connection');
      const c = connect(t, `https://127.0.0.1:${hs.address().port}`, { transports, rejectUnauthorized: false });
      const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, `https ${transports}`);
      assert.equal(s.handshake.secure, true, `${later ? 'attach' : 'constructor'} ${transports}`);
      assert.match(s.handshake.address, /^(::ffff:)?127\.0\.0\.1$/);
      c.disconnect();
    }
  }
});

test('a long poll its client aborts ends the session with "transport error", as on socket.io', async (t) => {
  const { srv, url } = await mount(t, 'express');
  const base = `${url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = JSON.parse(open.slice(1)).sid;
  const conn = once(srv, 'connection');
  await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '40' });
  const [s] = await bounded(conn, 5000, 'connection');
  const connectAck = await (await fetch(`${base}&sid=${sid}`)).text(); // the CONNECT answer
  assert.match(connectAck, /^40/);
  const gone = once(s, 'disconnect');
  // The long poll is sent whole, then its connection closed before any answer (the server
  // has nothing to send).
  const poll = http.get(`${base}&sid=${sid}`);
  poll.on('error', () => {});
  poll.on('finish', () => poll.destroy());
  const [reason] = await bounded(gone, 5000, 'disconnect after the aborted poll (not the ping timeout)');
  assert.equal(reason, 'transport error');
});
