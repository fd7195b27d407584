'use strict';
// Bad input: every error carries a stable `code`.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Server, io, Manager, SioError } = require('..');
const { once, bounded } = require('./suite');

test('invalid options throw ERR_SIO_INVALID_OPTION', () => {
  const code = (fn, c) => assert.throws(fn, (e) => e instanceof SioError && e.code === c);
  code(() => new Server({ pingInterval: -1 }), 'ERR_SIO_INVALID_OPTION');
  code(() => new Server({ transports: ['carrier-pigeon'] }), 'ERR_SIO_INVALID_OPTION');
  code(() => new Server({ path: 'no-slash' }), 'ERR_SIO_INVALID_OPTION');
  code(() => io('not a url'), 'ERR_SIO_INVALID_OPTION');
  code(() => io('ftp://127.0.0.1:1'), 'ERR_SIO_INVALID_OPTION');
  code(() => io('http://127.0.0.1:1', { transports: ['carrier-pigeon'], autoConnect: false }), 'ERR_SIO_INVALID_OPTION');
  code(() => io('http://127.0.0.1:1', { randomizationFactor: 2, autoConnect: false }), 'ERR_SIO_INVALID_OPTION');
  code(() => io('http://127.0.0.1:1', { reconnectionDelay: 'soon', autoConnect: false }), 'ERR_SIO_INVALID_OPTION');
  code(() => new Server((req, res) => res.end()), 'ERR_SIO_INVALID_ARGUMENT'); // an express app, not an http.Server
});

test('client options: unknown names throw ERR_SIO_INVALID_OPTION, socket.io-client options this client lacks ERR_SIO_UNSUPPORTED', () => {
  const url = 'http://127.0.0.1:9';
  const code = (opts, c, msg) => {
    const is = (e) => e instanceof SioError && e.code === c && msg.test(e.message);
    assert.throws(() => io(url, { forceNew: true, autoConnect: false, ...opts }), is, `io() ${JSON.stringify(opts)}`);
    assert.throws(() => new Manager(url, { autoConnect: false, ...opts }), is, `new Manager() ${JSON.stringify(opts)}`);
    // io() reusing its cached Manager (another namespace) checks them too.
    assert.throws(() => io(`${url}/cached`, opts), is, `io() with the cached Manager ${JSON.stringify(opts)}`);
  };
  const cached = io(url, { autoConnect: false }); // the Manager io() reuses above
  assert.equal(io(`${url}/reused`, { autoConnect: false }).io, cached.io, 'io() reuses its Manager for another namespace');
  code({ fooBar: 1 }, 'ERR_SIO_INVALID_OPTION', /unknown option "fooBar"/);
  code({ reconnection_delay: 10 }, 'ERR_SIO_INVALID_OPTION', /unknown option "reconnection_delay"/);
  // A parser other than socket.io-parser's and socket.io-msgpack-parser's: a TypeError with the code (test/msgpack.test.js).
  assert.throws(() => io(url, { forceNew: true, parser: { Encoder: class {}, Decoder: class {} } }), (e) => e instanceof TypeError && e.code === 'ERR_SIO_UNSUPPORTED' && /"parser"/.test(e.message));
  code({ perMessageDeflate: { threshold: 1024, clientNoContextTakeover: true } }, 'ERR_SIO_UNSUPPORTED', /"perMessageDeflate\.clientNoContextTakeover"/);
  code({ withCredentials: true }, 'ERR_SIO_UNSUPPORTED', /"withCredentials"/);
  code({ cert: 'x' }, 'ERR_SIO_UNSUPPORTED', /"cert"/);
  code({ hostname: 'example.com' }, 'ERR_SIO_UNSUPPORTED', /"hostname".*URL/);
  const manager = new Manager(url, { autoConnect: false });
  assert.throws(() => manager.socket('/a', { fooBar: 1 }), (e) => e.code === 'ERR_SIO_INVALID_OPTION');
  assert.throws(() => io(url, 'reconnection'), (e) => e.code === 'ERR_SIO_INVALID_OPTION' && /must be an object/.test(e.message));
  // socket.io-client's value for what this client does anyway is accepted.
  const same = { perMessageDeflate: false, addTrailingSlash: true, withCredentials: false, timestampParam: 't', autoUnref: false };
  io(url, { forceNew: true, autoConnect: false, ...same }).disconnect();
  new Manager(url, { autoConnect: false, ...same }).socket('/').disconnect();
});

test('custom adapters throw ERR_SIO_UNSUPPORTED_ADAPTER before anything starts', async () => {
  const http = require('node:http');
  const isAdapterError = (e) => e instanceof SioError && e.code === 'ERR_SIO_UNSUPPORTED_ADAPTER' && /adapter/.test(e.message);
  class CustomAdapter {}
  for (const adapter of [CustomAdapter, () => CustomAdapter, {}, 'redis', null]) {
    assert.throws(() => new Server({ adapter }), isAdapterError);
    assert.throws(() => new Server(0, { adapter }), isAdapterError);
    const hs = http.createServer();
    assert.throws(() => new Server(hs, { adapter }), isAdapterError);
    assert.equal(hs.listenerCount('request') + hs.listenerCount('upgrade'), 0, 'the http.Server was left alone');
  }
  const srv = new Server();
  assert.equal(srv.adapter(), undefined);
  assert.throws(() => srv.adapter(CustomAdapter), isAdapterError);
  await srv.close();
});

test('newListener listeners do not make later on() calls fail (EventEmitter emits it locally)', () => {
  const c = io('http://127.0.0.1:9', { autoConnect: false, forceNew: true });
  const seen = [];
  c.on('newListener', (name) => seen.push(name));
  c.on('hello', () => {});
  assert.deepEqual(seen, ['hello']);
  assert.throws(() => c.emit('newListener'), (e) => e.code === 'ERR_SIO_RESERVED_EVENT');
});

test('an ack answered after the client left is a no-op, as in socket.io', async (t) => {
  const srv = new Server(0);
  t.after(() => srv.close());
  const port = srv.httpServer.address().port;
  const asked = new Promise((resolve) => srv.on('connection', (s) => s.on('ask', (ack) => resolve([s, ack]))));
  const c = io(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false });
  c.emit('ask', () => {});
  const [s, ack] = await bounded(asked);
  const gone = once(s, 'disconnect');
  c.disconnect();
  await bounded(gone);
  assert.doesNotThrow(() => ack('late'));
});

test('reserved names and non-serialisable arguments', async (t) => {
  const srv = new Server(0);
  t.after(() => srv.close()); // also when the test fails: an open server keeps the process alive
  const port = srv.httpServer.address().port;
  const conn = once(srv, 'connection');
  const c = io(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false });
  t.after(() => c.disconnect());
  const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]));
  const code = (fn, c) => assert.throws(fn, (e) => e.code === c, `expected ${c}`);
  for (const name of ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']) {
    code(() => s.emit(name), 'ERR_SIO_RESERVED_EVENT');
    code(() => c.emit(name), 'ERR_SIO_RESERVED_EVENT');
    code(() => srv.to('r').emit(name), 'ERR_SIO_RESERVED_EVENT');
  }
  const cyclic = {};
  cyclic.self = cyclic;
  code(() => s.emit('x', cyclic), 'ERR_SIO_NOT_SERIALISABLE');
  code(() => c.emit('x', { big: 1n }), 'ERR_SIO_NOT_SERIALISABLE');
  code(() => srv.emit('x', 1n), 'ERR_SIO_NOT_SERIALISABLE');
  code(() => s.join({}), 'ERR_SIO_INVALID_ARGUMENT');
  code(() => srv.listen(1), 'ERR_SIO_ALREADY_LISTENING');
  code(() => s.emit({}), 'ERR_SIO_INVALID_ARGUMENT');
  const sd = once(s, 'disconnect');
  c.disconnect();
  await bounded(sd);
  code(() => s.emit('late'), 'ERR_SIO_DISCONNECTED');
  await srv.close();
});
