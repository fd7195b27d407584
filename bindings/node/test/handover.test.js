'use strict';
// An attached plain http.Server hands the upgraded TCP connection itself to the core
// (`acceptWebsocketFd`: the WebSocket then runs in Rust as on the own port), while an
// https.Server keeps the message path through `ws` (TLS lives in Node's OpenSSL). Which
// path an upgrade took is counted by the attachment (`io._attached.upgrades`, internal).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const https = require('node:https');
const selfsigned = require('selfsigned');
const WebSocket = require('ws');
const { io } = require('socket.io-client');
const { Server } = require('..');
const { once, bounded } = require('./suite');

function connect(t, url, opts) {
  const c = io(url, { forceNew: true, reconnection: false, ...opts });
  t.after(() => c.disconnect());
  return c;
}

function serve(t, srv) {
  t.after(() => srv.close());
  srv.on('connection', (s) => s.on('echo', (x, ack) => ack(x)));
}

test('plain http.Server: upgrades hand the connection to the core (websocket, the probe, a refusal)', async (t) => {
  const hs = http.createServer();
  const srv = new Server(hs, { maxHttpBufferSize: 1000 });
  serve(t, srv);
  await new Promise((resolve) => hs.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${hs.address().port}`;
  for (const transports of [['websocket'], ['polling', 'websocket']]) {
    const conn = once(srv, 'connection');
    const c = connect(t, url, { transports });
    const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, `${transports}`);
    assert.match(s.handshake.address, /^(::ffff:)?127\.0\.0\.1$/);
    assert.equal(s.handshake.secure, false);
    const last = transports[transports.length - 1];
    await bounded(
      (async () => {
        while (c.io.engine.transport.name !== last) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'upgrade',
    );
    const payload = { n: 1, bin: Buffer.from([1, 2, 3]) };
    const back = await bounded(c.emitWithAck('echo', payload), 5000, 'echo');
    assert.deepEqual(back, payload);
    c.disconnect();
  }
  assert.deepEqual(srv._attached.upgrades, { handedOver: 2, viaWs: 0 });
  // An unknown sid: the core writes Engine.IO's 400 on the handed-over connection.
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=nope`);
  const [, res] = await bounded(once(ws, 'unexpected-response'), 5000, 'refusal');
  assert.equal(res.statusCode, 400);
  res.destroy();
  // A message over maxHttpBufferSize: 1009, from the core's own WebSocket.
  const big = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const [open] = await bounded(once(big, 'message'), 5000, 'open packet');
  assert.match(open.toString(), /^0\{/);
  big.send(`4${'x'.repeat(2000)}`);
  const [code] = await bounded(once(big, 'close'), 5000, 'close');
  assert.equal(code, 1009);
  assert.deepEqual(srv._attached.upgrades, { handedOver: 4, viaWs: 0 });
});

test('https.Server: upgrades keep the message path through ws', async (t) => {
  const cert = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
  const hs = https.createServer({ key: cert.private, cert: cert.cert });
  const srv = new Server(hs);
  serve(t, srv);
  await new Promise((resolve) => hs.listen(0, '127.0.0.1', resolve));
  for (const transports of [['websocket'], ['polling', 'websocket']]) {
    const conn = once(srv, 'connection');
    const c = connect(t, `https://127.0.0.1:${hs.address().port}`, { transports, rejectUnauthorized: false });
    const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, `https ${transports}`);
    assert.equal(s.handshake.secure, true);
    await bounded(
      (async () => {
        while (c.io.engine.transport.name !== 'websocket') await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'upgrade',
    );
    assert.deepEqual(await bounded(c.emitWithAck('echo', 'x'), 5000, 'echo'), 'x');
    c.disconnect();
  }
  assert.deepEqual(srv._attached.upgrades, { handedOver: 0, viaWs: 2 });
});
