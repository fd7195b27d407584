'use strict';
// permessage-deflate on the WebSocket: perMessageDeflate on the Server (off by default,
// `true` or `{ threshold }`) and on the client (offered by default, as engine.io-client in
// Node), socket.compress(false) and operator.compress(false). A raw `ws` client shows what
// the 101 agreed; the addon's client talks to the official socket.io server with it on.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { once } = require('node:events');
const WebSocket = require('ws');
const { Server: RefServer } = require('socket.io');
const sio = require('..');

const closers = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

function server(opts) {
  const srv = new sio.Server(0, opts);
  closers.push(() => srv.close());
  return { srv, url: `ws://127.0.0.1:${srv.httpServer.address().port}/socket.io/?EIO=4&transport=websocket` };
}

/** A raw ws client (offering permessage-deflate) once open; `ws.messages` holds what it received. */
async function rawSession(url) {
  const ws = new WebSocket(url, { perMessageDeflate: true });
  closers.push(async () => ws.terminate());
  // Kept from the start: the open packet can arrive with the 101.
  ws.messages = [];
  ws.on('message', (m) => ws.messages.push(m.toString()));
  await once(ws, 'open');
  return ws;
}

const BIG = 'compress me '.repeat(1000);

test('Server perMessageDeflate: off by default, true or { threshold } turns it on', async () => {
  const off = await rawSession(server().url);
  assert.equal(off.extensions, '');
  const on = await rawSession(server({ perMessageDeflate: true }).url);
  assert.equal(on.extensions, 'permessage-deflate');
  const t = await rawSession(server({ perMessageDeflate: { threshold: 0 } }).url);
  assert.equal(t.extensions, 'permessage-deflate');
  assert.throws(() => new sio.Server({ perMessageDeflate: { threshold: 1, zlibDeflateOptions: {} } }), (e) => e.code === 'ERR_SIO_UNSUPPORTED');
  assert.throws(() => new sio.Server({ perMessageDeflateThreshold: 1 }), (e) => e.code === 'ERR_SIO_INVALID_OPTION');
});

test('messages over the threshold go compressed, compress(false) ones do not', async () => {
  const { srv, url } = server({ perMessageDeflate: true });
  const sends = {
    a: (socket) => socket.emit('a', BIG),
    b: (socket) => socket.compress(false).emit('b', BIG),
    c: () => srv.compress(false).emit('c', BIG),
    d: () => srv.emit('d', 'small'),
  };
  srv.on('connection', (socket) => {
    socket.on('go', (name) => sends[name](socket));
    socket.emit('ready');
  });
  const ws = await rawSession(url);
  const next = async () => {
    while (ws.messages.length === 0) await once(ws, 'message');
    return ws.messages.shift();
  };
  assert.match(await next(), /^0/);
  ws.send('40');
  assert.match(await next(), /^40/);
  assert.equal(await next(), '42["ready"]');
  // One event at a time, so the bytes read on the socket meanwhile are that event's.
  const sizes = {};
  for (const name of Object.keys(sends)) {
    const before = ws._socket.bytesRead;
    ws.send(`42["go","${name}"]`);
    const text = await next();
    assert.ok(text.startsWith('42'), text);
    assert.equal(JSON.parse(text.slice(2))[0], name);
    sizes[name] = ws._socket.bytesRead - before;
  }
  assert.ok(sizes.a < BIG.length / 5, `compressed: ${JSON.stringify(sizes)}`);
  assert.ok(sizes.b > BIG.length && sizes.c > BIG.length, `not compressed: ${JSON.stringify(sizes)}`);
  assert.ok(sizes.d > 'small'.length, `small, as it is: ${JSON.stringify(sizes)}`);
});

test('attached to an http.Server (the connection handed over to the core): the same', async () => {
  const httpServer = http.createServer();
  const srv = new sio.Server(httpServer, { perMessageDeflate: true });
  closers.push(() => srv.close());
  srv.on('connection', (socket) => {
    socket.on('go', () => socket.emit('a', BIG));
    socket.emit('ready');
  });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  const ws = await rawSession(`ws://127.0.0.1:${httpServer.address().port}/socket.io/?EIO=4&transport=websocket`);
  assert.equal(ws.extensions, 'permessage-deflate');
  const next = async () => {
    while (ws.messages.length === 0) await once(ws, 'message');
    return ws.messages.shift();
  };
  assert.match(await next(), /^0/);
  ws.send('40');
  assert.match(await next(), /^40/);
  assert.equal(await next(), '42["ready"]');
  const before = ws._socket.bytesRead;
  ws.send('42["go"]');
  assert.equal(await next(), `42["a",${JSON.stringify(BIG)}]`);
  assert.ok(ws._socket.bytesRead - before < BIG.length / 5, `${ws._socket.bytesRead - before} bytes`);
  assert.deepEqual(srv._attached.upgrades, { handedOver: 1, viaWs: 0 }, "the core ran this WebSocket");
});

test('the client offers permessage-deflate and works against socket.io with it on; false turns it off', async () => {
  const httpServer = http.createServer();
  const io = new RefServer(httpServer, { perMessageDeflate: { threshold: 0 } });
  const extensions = [];
  io.engine.on('connection', (conn) => extensions.push(conn.transport.socket?._extensions ? Object.keys(conn.transport.socket._extensions) : []));
  io.on('connection', (s) => s.on('echo', (x, ack) => ack(x)));
  httpServer.listen(0);
  await once(httpServer, 'listening');
  closers.push(() => new Promise((r) => io.close(() => r())));
  const port = httpServer.address().port;
  for (const perMessageDeflate of [undefined, { threshold: 10 }, false]) {
    const socket = sio.io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, perMessageDeflate });
    closers.push(async () => socket.disconnect());
    await once(socket, 'connect');
    const back = await socket.emitWithAck('echo', { big: BIG, bin: Buffer.alloc(20000, 7) });
    assert.equal(back.big, BIG);
    assert.ok(Buffer.from(back.bin).equals(Buffer.alloc(20000, 7)));
    socket.disconnect();
  }
  assert.deepEqual(extensions, [['permessage-deflate'], ['permessage-deflate'], []]);
  assert.throws(() => sio.io('http://127.0.0.1:1', { perMessageDeflate: { serverNoContextTakeover: true } }), (e) => e.code === 'ERR_SIO_UNSUPPORTED');
});
