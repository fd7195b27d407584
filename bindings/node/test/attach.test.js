'use strict';
// new Server(httpServer) / io.attach(httpServer): the socket.io path is served on the
// application's port, every other request and upgrade still reaches its own handlers.
// Run against the official server too, so that both behave alike.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const sio = require('..');
const official = require('socket.io');
const officialClient = require('socket.io-client');
const { once, bounded } = require('./suite');

// An application: plain requests, and an upgrade endpoint of its own on /app-ws.
function appServer() {
  const hs = http.createServer((req, res) => res.end(`app ${req.method} ${req.url}`));
  hs.on('upgrade', (req, socket) => {
    if (req.url === '/app-ws') socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\nhello');
  });
  return hs;
}

function listen(hs) {
  return new Promise((resolve) => hs.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${hs.address().port}`)));
}

// Everything an upgrade request to `path` gets back, until the connection closes.
function rawUpgrade(url, path) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(new URL(url).port), '127.0.0.1');
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.on('error', reject);
    sock.on('close', () => resolve(got));
    sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n`);
  });
}

async function text(url) {
  return (await fetch(url)).text();
}

const CLIENTS = [
  ['official client', officialClient.io],
  ['sio client', sio.io],
];

for (const [label, Impl] of [
  ['sio server', sio.Server],
  ['official server', official.Server],
]) {
  test(`${label}: new Server(httpServer) serves polling, websocket and upgrades; other paths reach the app`, async (t) => {
    const hs = appServer();
    const srv = new Impl(hs);
    t.after(() => srv.close());
    assert.equal(srv.httpServer, hs);
    const url = await listen(hs);
    srv.on('connection', (s) => s.on('echo', (x, ack) => ack(x)));

    assert.equal(await text(`${url}/hello?x=1`), 'app GET /hello?x=1');
    assert.equal(await text(`${url}/socket.iox`), 'app GET /socket.iox');
    assert.match(await rawUpgrade(url, '/app-ws'), /^HTTP\/1\.1 101[^]*hello$/);

    for (const [clientLabel, io] of CLIENTS) {
      for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
        const what = `${clientLabel} over ${transports.join('+')}`;
        const conn = once(srv, 'connection');
        const c = io(url, { transports, forceNew: true, reconnection: false });
        t.after(() => c.disconnect());
        const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, what);
        if (transports.length === 2 && s.conn.transport.name !== 'websocket') {
          assert.equal((await bounded(once(s.conn, 'upgrade'), 5000, `upgrade of ${what}`))[0].name, 'websocket');
        }
        assert.equal(s.conn.transport.name, transports.at(-1), what);
        assert.deepEqual(await bounded(c.emitWithAck('echo', { n: 1 }), 5000, what), { n: 1 });
        const bin = await bounded(c.emitWithAck('echo', Buffer.from([1, 2, 3])), 5000, what);
        assert.ok(Buffer.from(bin).equals(Buffer.from([1, 2, 3])), what);
        const pushed = once(c, 'push');
        s.emit('push', 'from server');
        assert.deepEqual(await bounded(pushed, 5000, what), ['from server']);
        assert.match(s.handshake.address, /^(::ffff:)?127\.0\.0\.1$/, what);
        const left = once(s, 'disconnect');
        c.disconnect();
        assert.equal((await bounded(left, 5000, what))[0], 'client namespace disconnect', what);
      }
    }
    await srv.close();
    assert.equal(hs.listening, false, 'io.close() closes the attached http.Server');
  });

  test(`${label}: io.attach(httpServer) with a path; the app keeps its routes, the handshake has the client's headers`, async (t) => {
    const hs = appServer();
    const srv = new Impl({ path: '/rt' });
    t.after(() => srv.close());
    srv.attach(hs);
    const url = await listen(hs);
    assert.equal(await text(`${url}/socket.io/?EIO=4&transport=polling`), 'app GET /socket.io/?EIO=4&transport=polling');
    for (const transports of [['polling'], ['websocket']]) {
      const conn = once(srv, 'connection');
      const c = officialClient.io(url, {
        path: '/rt',
        transports,
        forceNew: true,
        reconnection: false,
        extraHeaders: { 'x-app': 'kept' },
      });
      t.after(() => c.disconnect());
      const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]));
      assert.match(s.handshake.address, /^(::ffff:)?127\.0\.0\.1$/);
      assert.equal(s.handshake.headers['x-app'], 'kept');
      c.disconnect();
    }
    assert.match(await rawUpgrade(url, '/app-ws'), /hello$/);
  });
}

test('sio server: attach() refuses what is not a port or an http.Server, and a second listener', () => {
  const srv = new sio.Server();
  const code = (fn, c) => assert.throws(fn, (e) => e instanceof sio.SioError && e.code === c);
  code(() => srv.attach((req, res) => res.end()), 'ERR_SIO_INVALID_ARGUMENT');
  code(() => srv.attach({}), 'ERR_SIO_INVALID_ARGUMENT');
  code(() => srv.attach(http.createServer(), { path: '/x' }), 'ERR_SIO_INVALID_OPTION');
  srv.attach(http.createServer());
  code(() => srv.attach(http.createServer()), 'ERR_SIO_ALREADY_LISTENING');
  code(() => srv.listen(0), 'ERR_SIO_ALREADY_LISTENING');
  return srv.close();
});
