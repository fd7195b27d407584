'use strict';
// socket.io-msgpack-parser as the `parser` option, server and client: this addon's server
// with the official client, this addon's client with the official server (both with
// require("socket.io-msgpack-parser")), over polling, WebSocket and the upgrade; the
// served socket.io.msgpack.min.js in headless Chromium; a default-parser client refused;
// parsers the core does not have refused at construction. Every wait is on an event;
// timeouts only bound a failing test.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const msgpackParser = require('socket.io-msgpack-parser');
const official = { Server: require('socket.io').Server, io: require('socket.io-client').io };
const sio = require('..');
const { once, bounded } = require('./suite');

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Stops `srv` and disconnects the clients made by the returned `connect` (in an after-hook too). */
function start(Server, io, opts) {
  const srv = new Server(0, { parser: msgpackParser, ...opts });
  const url = `http://127.0.0.1:${srv.httpServer.address().port}`;
  const clients = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.disconnect();
    await srv.close();
  };
  cleanups.push(stop);
  const connect = (nsp = '', o = {}) => {
    const c = io(url + nsp, { forceNew: true, reconnection: false, parser: msgpackParser, ...o });
    clients.push(c);
    return c;
  };
  return { srv, url, connect, stop, track: (c) => clients.push(c) };
}

/** Throws if `v` holds socket.io-parser's `{ _placeholder: true }` anywhere. */
function noPlaceholders(v, where) {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
  assert.ok(!Object.hasOwn(v, '_placeholder'), `${where}: a binary placeholder was not replaced`);
  for (const x of Object.values(v)) noPlaceholders(x, where);
}

function isBytes(v, bytes, where) {
  assert.ok(Buffer.isBuffer(v), `${where}: a Buffer (got ${v === null ? 'null' : v.constructor.name})`);
  assert.deepEqual([...v], bytes, where);
}

/** The engine's message packets of `emitter` ('packet' events), to check they are MessagePack. */
function messages(emitter) {
  const out = [];
  emitter.on('packet', (p) => p.type === 'message' && out.push(p.data));
  return out;
}

/** Every packet is one binary MessagePack map (never socket.io-parser's text plus attachments). */
function allMsgpack(list, where) {
  assert.ok(list.length > 0, `${where}: no message packet seen`);
  for (const d of list) {
    assert.ok(typeof d !== 'string', `${where}: a text packet ${JSON.stringify(d)}`);
    const b = Buffer.from(d);
    assert.ok((b[0] & 0xf0) === 0x80 || b[0] === 0xde, `${where}: not a MessagePack map (0x${b[0].toString(16)})`);
  }
}

const TRANSPORTS = {
  polling: { transports: ['polling'] },
  websocket: { transports: ['websocket'] },
  upgrade: {},
};

function scenario(label, { Server, io }) {
  for (const [mode, transport] of Object.entries(TRANSPORTS)) {
    test(`${label}, ${mode}: nested binary, binary acks both ways, a second namespace, a room broadcast, a refusal with data`, async () => {
      const t = start(Server, io);
      const admin = t.srv.of('/admin');
      t.srv.of('/locked').use((socket, next) => {
        const e = new Error('not authorized');
        e.data = { reason: 'bad token', code: 42 };
        next(e);
      });

      const conn = once(t.srv, 'connection');
      const c = t.connect('', transport);
      const clientPackets = messages(c.io.engine);
      const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, 'connection');
      assert.equal(s.id, c.id);
      const serverPackets = messages(s.conn);
      if (mode === 'upgrade') {
        // Events flow while polling, then across the upgrade.
        const early = once(s, 'early');
        c.emit('early', Buffer.from([1]));
        isBytes((await bounded(early, 5000, 'early'))[0], [1], 'event before the upgrade');
        if (s.conn.transport.name !== 'websocket') await bounded(once(s.conn, 'upgrade'), 5000, 'server-side upgrade');
        if (c.io.engine.transport.name !== 'websocket') await bounded(once(c.io.engine, 'upgrade'), 5000, 'client-side upgrade');
      }
      const expected = mode === 'polling' ? 'polling' : 'websocket';
      assert.equal(s.conn.transport.name, expected);
      assert.equal(c.io.engine.transport.name, expected);

      // Nested Buffers, client → server and back.
      const fromClient = once(s, 'bin');
      c.emit('bin', Buffer.from([1, 2, 3]), { nested: Buffer.from([4, 5]), list: [Buffer.from('hi'), { deep: Buffer.from([]) }], n: 1.5, s: 'é', z: null });
      const got = await bounded(fromClient, 5000, 'bin');
      noPlaceholders(got, 'server received');
      isBytes(got[0], [1, 2, 3], 'server: top-level buffer');
      isBytes(got[1].nested, [4, 5], 'server: nested buffer');
      isBytes(got[1].list[0], [...Buffer.from('hi')], 'server: buffer in a list');
      isBytes(got[1].list[1].deep, [], 'server: empty buffer');
      assert.deepEqual([got[1].n, got[1].s, got[1].z], [1.5, 'é', null]);
      const fromServer = once(c, 'bin');
      s.emit('bin', { data: Buffer.alloc(1000, 7), more: [Buffer.from([9])] }, 'text');
      const back = await bounded(fromServer, 5000, 'bin from the server');
      noPlaceholders(back, 'client received');
      assert.equal(back[0].data.length, 1000);
      isBytes(back[0].data.subarray(995), [7, 7, 7, 7, 7], 'client: large nested buffer');
      isBytes(back[0].more[0], [9], 'client: buffer in a list');
      assert.equal(back[1], 'text');

      // Acks both ways, carrying binary.
      s.on('binack', (buf, ack) => ack({ len: buf.length, echo: buf }, Buffer.from([8])));
      const ackRes = await bounded(new Promise((r) => c.emit('binack', Buffer.from([5, 6]), (...a) => r(a))), 5000, 'client → server ack');
      noPlaceholders(ackRes, 'client ack');
      assert.equal(ackRes[0].len, 2);
      isBytes(ackRes[0].echo, [5, 6], 'server ack: nested');
      isBytes(ackRes[1], [8], 'server ack: top level');
      c.on('ask', (buf, ack) => ack([buf, Buffer.from([buf[0] + 1])]));
      const asked = await bounded(s.emitWithAck('ask', Buffer.from([41])), 5000, 'server → client ack');
      noPlaceholders(asked, 'server ack');
      isBytes(asked[0], [41], 'client ack: echoed');
      isBytes(asked[1], [42], 'client ack: new');

      // A second namespace on the same connection.
      const adminConn = once(admin, 'connection');
      const ca = c.io.socket('/admin'); // connects: the manager's autoConnect
      t.track(ca);
      const [[sa]] = await bounded(Promise.all([adminConn, once(ca, 'connect')]), 5000, '/admin connection');
      assert.equal(sa.nsp.name, '/admin');
      assert.equal(sa.conn.id, s.conn.id, 'one Engine.IO connection for both namespaces');
      sa.on('adm', (x, ack) => ack(Buffer.concat([x, Buffer.from([0])])));
      isBytes(await bounded(ca.emitWithAck('adm', Buffer.from([3])), 5000, '/admin ack'), [3, 0], '/admin ack');
      c.on('adm-news', () => assert.fail('/ got an /admin event'));
      const news = once(ca, 'adm-news');
      admin.emit('adm-news', { b: Buffer.from([1]) });
      isBytes((await bounded(news, 5000, '/admin news'))[0].b, [1], '/admin broadcast');

      // A room broadcast reaches both members, not the third client (which gets the next one).
      const d = await pairOf(t);
      const e = await pairOf(t);
      s.join('room');
      d.s.join('room');
      e.c.on('room', () => assert.fail('a client outside the room got the room broadcast'));
      const both = Promise.all([once(c, 'room'), once(d.c, 'room')]);
      const everyone = once(e.c, 'everyone');
      t.srv.to('room').emit('room', Buffer.from([1, 2]), { k: Buffer.from([3]) });
      t.srv.emit('everyone');
      const [r1, r2] = await bounded(both, 5000, 'room broadcast');
      for (const [r, who] of [[r1, 'first'], [r2, 'second']]) {
        isBytes(r[0], [1, 2], `room broadcast to the ${who} client`);
        isBytes(r[1].k, [3], `room broadcast to the ${who} client, nested`);
      }
      await bounded(everyone, 5000, 'broadcast to all');

      // A middleware's refusal: connect_error with its data.
      const refused = t.connect('/locked', transport);
      const [err] = await bounded(once(refused, 'connect_error'), 5000, 'connect_error');
      assert.equal(err.message, 'not authorized');
      assert.deepEqual(err.data, { reason: 'bad token', code: 42 });
      assert.equal(refused.connected, false);

      // What went over the wire: MessagePack, one binary message per packet.
      allMsgpack(clientPackets, 'client received');
      allMsgpack(serverPackets, 'server received');
      await t.stop();
    });
  }
}

async function pairOf(t) {
  const conn = once(t.srv, 'connection');
  const c = t.connect();
  const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, 'connection');
  return { c, s };
}

scenario('sio server (msgpack) + official client (socket.io-msgpack-parser)', { Server: sio.Server, io: official.io });
scenario('official server (socket.io-msgpack-parser) + sio client (msgpack)', { Server: official.Server, io: sio.io });

test('serveClient serves socket.io.msgpack.min.js', async () => {
  const t = start(sio.Server, official.io);
  const res = await bounded(new Promise((resolve, reject) => {
    http.get(`${t.url}/socket.io/socket.io.msgpack.min.js`, (r) => {
      const chunks = [];
      r.on('data', (d) => chunks.push(d));
      r.on('end', () => resolve({ status: r.statusCode, type: r.headers['content-type'], body: Buffer.concat(chunks) }));
      r.on('error', reject);
    }).on('error', reject);
  }), 5000, 'the bundle');
  assert.equal(res.status, 200);
  assert.match(res.type, /^application\/javascript/);
  const file = path.join(path.dirname(require.resolve('socket.io-client/dist/socket.io.js')), 'socket.io.msgpack.min.js');
  assert.ok(res.body.equals(fs.readFileSync(file)), 'the bundle of the socket.io-client package');
  await t.stop();
});

// The served msgpack bundle in headless Chromium (as test/browser.test.js: skipped without
// playwright-core in tests/ or Chromium).
const testsDir = path.resolve(__dirname, '../../../tests/node_modules');
const CHROMIUM = process.env.SIO_CHROMIUM || '/usr/bin/chromium';
let chromium;
try {
  ({ chromium } = require(path.join(testsDir, 'playwright-core')));
} catch {
  chromium = null;
}
const noBrowser = !chromium ? 'playwright-core is not installed in tests/' : !fs.existsSync(CHROMIUM) ? `${CHROMIUM} not found` : false;

test('served socket.io.msgpack.min.js in headless Chromium: connect, upgrade, binary echo', { skip: noBrowser, timeout: 60000 }, async (t) => {
  // The page is on http://localhost:Q and loads the bundle from the addon on 127.0.0.1.
  const srv = new sio.Server(0, { parser: msgpackParser, cors: { origin: '*' } });
  t.after(() => srv.close());
  const url = `http://127.0.0.1:${srv.httpServer.address().port}`;
  const pages = http.createServer((req, res) => {
    res.writeHead(req.url === '/blank.html' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(req.url === '/blank.html' ? `<!doctype html><title>blank</title><script src="${url}/socket.io/socket.io.msgpack.min.js"></script>` : '');
  });
  await new Promise((r) => pages.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => {
    pages.closeAllConnections();
    pages.close(r);
  }));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());

  srv.on('connection', (s) => {
    s.on('echo', (buf, meta, ack) => {
      assert.ok(Buffer.isBuffer(buf));
      ack({ back: buf, len: buf.length, meta }, Buffer.from([9, 8, 7]));
    });
  });
  const connected = once(srv, 'connection');
  const page = await browser.newPage();
  await page.goto(`http://localhost:${pages.address().port}/blank.html`);
  const result = page.evaluate(async (target) => {
    const within = (ms, what, p) => {
      let timer;
      return Promise.race([p, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
    };
    const socket = window.io(target, { forceNew: true, reconnection: false });
    await within(10000, 'connect', new Promise((res, rej) => {
      socket.once('connect', res);
      socket.once('connect_error', (e) => rej(new Error(`connect_error: ${e.message}`)));
    }));
    const engine = socket.io.engine;
    if (engine.transport.name !== 'websocket') await within(10000, 'upgrade', new Promise((res) => engine.once('upgrade', res)));
    // An ArrayBuffer: the bundle's MessagePack encoder (notepack.io's browser build) writes
    // a typed array as a map of its indices, against socket.io's server as against this one.
    const sent = new Uint8Array([1, 2, 3, 250]).buffer;
    const [answer, extra] = await within(10000, 'ack', new Promise((res) => socket.emit('echo', sent, { tag: 'x' }, (...a) => res(a))));
    const bytes = (v) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? Array.from(new Uint8Array(v.buffer || v, v.byteOffset || 0, v.byteLength)) : `not binary: ${JSON.stringify(v)}`);
    const out = { id: socket.id, transport: engine.transport.name, back: bytes(answer.back), len: answer.len, meta: answer.meta, extra: bytes(extra) };
    socket.disconnect();
    return out;
  }, url);

  const [s] = await bounded(connected, 15000, 'connection');
  const gone = once(s, 'disconnect');
  const r = await bounded(result, 30000, 'the page');
  assert.deepEqual(r, { id: s.id, transport: 'websocket', back: [1, 2, 3, 250], len: 4, meta: { tag: 'x' }, extra: [9, 8, 7] });
  assert.equal((await bounded(gone))[0], 'client namespace disconnect');
});

test('a default-parser client does not connect to a msgpack server, which keeps serving others', async () => {
  const t = start(sio.Server, official.io);
  t.srv.on('connection', (s) => s.on('ping', (ack) => ack('pong')));
  const refusedConn = new Promise((_, reject) => t.srv.on('connection', (s) => s.handshake.auth.who === 'default' && reject(new Error('the default-parser client connected'))));
  refusedConn.catch(() => {});
  const serverClosed = once(t.srv.engine, 'connection').then(([conn]) => once(conn, 'close'));
  const plain = official.io(t.url, { forceNew: true, reconnection: false, auth: { who: 'default' } });
  cleanups.push(() => plain.disconnect());
  plain.on('connect', () => assert.fail('the default-parser client connected'));
  // It sends a CONNECT the server cannot decode: the server ends the session (as socket.io
  // does on a parse error: the Engine.IO connection is closed, `forced close`).
  const failed = Promise.race([once(plain, 'disconnect'), once(plain, 'connect_error').then(([e]) => [`connect_error: ${e.message}`])]);
  const [[reason], [closeReason]] = await bounded(Promise.all([Promise.race([failed, refusedConn]), serverClosed]), 5000, 'the refusal');
  assert.equal(reason, 'transport close');
  assert.equal(closeReason, 'forced close');
  assert.equal(plain.connected, false);
  // The server goes on serving msgpack clients.
  for (const transports of [['polling'], ['websocket']]) {
    const c = t.connect('', { transports });
    await bounded(once(c, 'connect'), 5000, 'a msgpack client after the refused one');
    assert.equal(await bounded(c.emitWithAck('ping'), 5000, 'ack'), 'pong');
    c.disconnect();
  }
  await t.stop();
});

test('parser: socket.io-parser, socket.io-msgpack-parser and their names are taken; other parsers throw a TypeError at construction', async () => {
  const defaultParser = require(require.resolve('socket.io-parser', { paths: [require.resolve('socket.io')] })); // socket.io's own
  const esm = await import('socket.io-msgpack-parser');
  const url = 'http://127.0.0.1:9';
  // Accepted, server and client.
  for (const parser of [msgpackParser, defaultParser, esm, 'msgpack', 'default']) {
    const srv = new sio.Server({ parser });
    await srv.close();
    sio.io(url, { forceNew: true, autoConnect: false, parser }).disconnect();
    new sio.Manager(url, { autoConnect: false, parser }).socket('/').disconnect();
  }
  const custom = [
    ['a custom parser', { Encoder: class { encode(p) { return [JSON.stringify(p)]; } }, Decoder: class {} }],
    ['no Encoder', { Decoder: class {} }],
    ['an Encoder that throws', { Encoder: class { encode() { throw new Error('no'); } }, Decoder: class {} }],
    ['binary that is not MessagePack', { Encoder: class { encode() { return [Buffer.from('{"type":2}')]; } }, Decoder: class {} }],
    ['a MessagePack array', { Encoder: class { encode() { return [Buffer.from([0x93, 0x02, 0xa1, 0x2f, 0x91])]; } }, Decoder: class {} }],
    ['text plus attachments', { Encoder: class { encode() { return ['2["x"]', Buffer.from([1])]; } }, Decoder: class {} }],
    ['another name', 'cbor'],
    ['a number', 1],
    ['null', null],
  ];
  const isUnsupported = (what) => (e) => {
    assert.ok(e instanceof TypeError, `${what}: a TypeError (got ${e && e.name})`);
    assert.equal(e.code, 'ERR_SIO_UNSUPPORTED', what);
    assert.match(e.message, /option "parser".*socket\.io-msgpack-parser/, what);
    return true;
  };
  for (const [what, parser] of custom) {
    assert.throws(() => new sio.Server({ parser }), isUnsupported(`new Server() with ${what}`));
    assert.throws(() => new sio.Server(0, { parser }), isUnsupported(`new Server(0) with ${what}`));
    assert.throws(() => sio.io(url, { forceNew: true, autoConnect: false, parser }), isUnsupported(`io() with ${what}`));
    assert.throws(() => new sio.Manager(url, { autoConnect: false, parser }), isUnsupported(`new Manager() with ${what}`));
  }
});
