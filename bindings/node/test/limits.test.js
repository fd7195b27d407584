'use strict';
// Server options of this addon beyond socket.io's behaviour (the core's limits), and how
// options are refused: over real sockets, against this addon only.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { io: officialIo } = require('socket.io-client');
const { Server, SioError } = require('..');
const { fromNative } = require('../lib/errors');
const native = require('../native.js');
const { once, bounded } = require('./suite');

/** A server on a port of its own (`io.listen(0)`), closed after the test. */
function listen(t, opts) {
  const srv = new Server(opts);
  srv.listen(0);
  t.after(() => srv.close());
  return { srv, port: srv.httpServer.address().port };
}

/** Everything a raw TCP connection receives until the server ends it. */
function rawExchange(port, request) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      if (request !== undefined) sock.write(request);
    });
    const chunks = [];
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

/** A polling handshake with an Origin header: its status and headers. */
function handshake(port, origin) {
  return new Promise((resolve, reject) => {
    const req = http.get({ port, host: '127.0.0.1', path: '/socket.io/?EIO=4&transport=polling', headers: { origin, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
  });
}

test('maxHeaderSize: a handshake whose headers are larger gets HTTP 431', async (t) => {
  const { port } = listen(t, { maxHeaderSize: 8192 });
  const big = 'x'.repeat(10 * 1024);
  const reply = await bounded(rawExchange(port, `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${big}\r\n\r\n`));
  assert.match(reply, /^HTTP\/1\.1 431 /);
  // Below the limit the same request is a handshake.
  const ok = await bounded(rawExchange(port, `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(4096)}\r\nConnection: close\r\n\r\n`));
  assert.match(ok, /^HTTP\/1\.1 200 /);
  assert.match(ok, /"sid"/);
});

test('idleTimeout: a connection that sends nothing gets HTTP 408, then the end', async (t) => {
  const { port } = listen(t, { idleTimeout: 300 });
  const started = Date.now();
  const reply = await bounded(rawExchange(port), 5000, 'the 408');
  assert.match(reply, /^HTTP\/1\.1 408 /);
  assert.ok(Date.now() - started >= 250, 'not before idleTimeout');
});

test('cors: none by default; origin "*" answers *; origin true with credentials echoes the Origin', async (t) => {
  const origin = 'http://app.example';
  const none = await handshake(listen(t).port, origin);
  assert.equal(none.statusCode, 200);
  assert.equal(none.headers['access-control-allow-origin'], undefined);
  assert.equal(none.headers['access-control-allow-credentials'], undefined);

  const off = await handshake(listen(t, { cors: { origin: false } }).port, origin);
  assert.equal(off.headers['access-control-allow-origin'], undefined, 'origin false: CORS off, as the cors package');

  const any = await handshake(listen(t, { cors: { origin: '*' } }).port, origin);
  assert.equal(any.headers['access-control-allow-origin'], '*');
  assert.equal(any.headers['access-control-allow-credentials'], undefined);

  const reflect = await handshake(listen(t, { cors: { origin: true, credentials: true } }).port, origin);
  assert.equal(reflect.headers['access-control-allow-origin'], origin);
  assert.equal(reflect.headers['access-control-allow-credentials'], 'true');

  const listed = listen(t, { cors: { origin: ['http://a.example', origin], credentials: false } }).port;
  assert.equal((await handshake(listed, origin)).headers['access-control-allow-origin'], origin);
  assert.equal((await handshake(listed, origin)).headers['access-control-allow-credentials'], undefined);
});

test('unknown, unsupported and invalid options throw their documented code', () => {
  const code = (opts, c, msg) =>
    assert.throws(() => new Server(opts), (e) => e instanceof SioError && e.code === c && msg.test(e.message), JSON.stringify(opts));
  // A parser other than socket.io-parser's and socket.io-msgpack-parser's: a TypeError with the code (test/msgpack.test.js).
  assert.throws(() => new Server({ parser: { Encoder: class {}, Decoder: class {} } }), (e) => e instanceof TypeError && e.code === 'ERR_SIO_UNSUPPORTED' && /"parser"/.test(e.message));
  code({ perMessageDeflate: { threshold: 1024, serverNoContextTakeover: true } }, 'ERR_SIO_UNSUPPORTED', /"perMessageDeflate\.serverNoContextTakeover"/);
  code({ cors: { origin: '*', methods: ['GET'] } }, 'ERR_SIO_UNSUPPORTED', /"cors\.methods"/);
  code({ fooBar: 1 }, 'ERR_SIO_INVALID_OPTION', /unknown option "fooBar"/);
  code({ ping_interval: 1000 }, 'ERR_SIO_INVALID_OPTION', /unknown option "ping_interval"/);
  code({ recovery: true }, 'ERR_SIO_INVALID_OPTION', /use "connectionStateRecovery"/);
  code({ connectionStateRecovery: { fooBar: 1 } }, 'ERR_SIO_INVALID_OPTION', /"connectionStateRecovery\.fooBar"/);
  code({ pingInterval: 0 }, 'ERR_SIO_INVALID_OPTION', /option "pingInterval": must be greater than zero/);
  code({ maxHeaderSize: 10 }, 'ERR_SIO_INVALID_OPTION', /"maxHeaderSize"/);
  code({ maxAttachments: 1.5 }, 'ERR_SIO_INVALID_OPTION', /"maxAttachments"/);
  code({ cors: { origin: true, credentials: 'yes' } }, 'ERR_SIO_INVALID_OPTION', /option "cors\.credentials": must be a boolean/);
  code({ connectionStateRecovery: { maxDisconnectionDuration: -1 } }, 'ERR_SIO_INVALID_OPTION', /"connectionStateRecovery\.maxDisconnectionDuration"/);
  code({ addTrailingSlash: false }, 'ERR_SIO_UNSUPPORTED', /"addTrailingSlash"/);
  // socket.io's value for what this addon does anyway is accepted.
  for (const opts of [{ perMessageDeflate: false, httpCompression: false, allowEIO3: false, addTrailingSlash: true }, { connectionStateRecovery: true }]) {
    new Server(opts).close();
  }
});

test('a contradiction between options (the core checks combinations) throws ERR_SIO_INVALID_OPTION in the user\'s spelling', () => {
  // socket.io's shape cannot express one (connectionStateRecovery's presence turns recovery
  // on; cors without origin is "*"), so this goes through the native layer as options.js
  // would hand it over.
  const spelled = 'connectionStateRecovery.skipMiddlewares';
  assert.throws(
    () => {
      try {
        new native.NativeServer([{ name: 'skipMiddlewares', spelled, value: false }]);
      } catch (e) {
        throw fromNative(e);
      }
    },
    (e) => e.code === 'ERR_SIO_INVALID_OPTION' && e.message === `option "${spelled}": needs recovery`,
  );
});

test('maxAttachments reaches the core: a packet with more attachments closes the session with "parse error"', async (t) => {
  for (const [max, closes] of [[1, true], [2, false]]) {
    const { srv, port } = listen(t, { maxAttachments: max });
    const client = officialIo(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, transports: ['websocket'] });
    t.after(() => client.disconnect());
    const [[socket]] = await bounded(Promise.all([once(srv, 'connection'), once(client, 'connect')]));
    const outcome = Promise.race([
      once(socket, 'two').then(([a, b]) => `event ${a.length}+${b.length}`),
      once(socket, 'disconnect').then(([reason]) => reason),
    ]);
    client.emit('two', Buffer.alloc(3), Buffer.alloc(4));
    assert.equal(await bounded(outcome), closes ? 'parse error' : 'event 3+4', `maxAttachments ${max}`);
  }
});

test('destroyUpgrade/destroyUpgradeTimeout given to the constructor reach attach (as in socket.io)', async (t) => {
  const hs = http.createServer();
  const srv = new Server(hs, { destroyUpgradeTimeout: 100 });
  t.after(() => srv.close());
  await new Promise((r) => hs.listen(0, '127.0.0.1', r));
  const started = Date.now();
  // An upgrade on another path that nobody answers is ended after destroyUpgradeTimeout.
  const reply = await bounded(
    rawExchange(hs.address().port, 'GET /other HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'),
  );
  assert.equal(reply, '');
  assert.ok(Date.now() - started < 900, `ended after ${Date.now() - started} ms, not the default 1000`);
  assert.throws(() => new Server({ destroyUpgradeTimeout: -1 }), { code: 'ERR_SIO_INVALID_OPTION' });
});
