'use strict';
// engine.io's `cookie` option (sticky sessions behind a load balancer): the session cookie on
// the handshake of either transport, engine.io's defaults with `true`, each attribute of the
// object form, and the same header socket.io sends for the same options.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { WebSocket } = require('ws');
const official = require('socket.io');
const { Server, SioError } = require('..');

function ownPort(t, opts) {
  const srv = new Server(0, opts);
  t.after(() => srv.close());
  return srv.httpServer.address().port;
}

async function officialPort(t, opts) {
  const httpServer = http.createServer();
  const io = new official.Server(httpServer, opts);
  t.after(() => io.close());
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  return httpServer.address().port;
}

/** The Set-Cookie of a polling handshake with the sid replaced by SID. */
async function pollingCookie(port) {
  const res = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`);
  assert.equal(res.status, 200);
  const sid = JSON.parse((await res.text()).slice(1)).sid;
  const cookies = res.headers.getSetCookie();
  return cookies.map((c) => c.replace(sid, 'SID'));
}

test('none by default', async (t) => {
  assert.deepEqual(await pollingCookie(ownPort(t, {})), []);
});

test('cookie: true is engine.io default cookie, as socket.io sends it', async (t) => {
  const ours = await pollingCookie(ownPort(t, { cookie: true }));
  assert.deepEqual(ours, ['io=SID; Path=/; HttpOnly; SameSite=Lax']);
  assert.deepEqual(ours, await pollingCookie(await officialPort(t, { cookie: true })));
});

test('the object form: name and attributes, as socket.io sends them', async (t) => {
  const cookie = { name: 'lb', path: '/app', httpOnly: false, sameSite: 'strict', secure: true, domain: 'example.com', maxAge: 60 };
  const ours = await pollingCookie(ownPort(t, { cookie }));
  assert.deepEqual(ours, ['lb=SID; Domain=example.com; Path=/app; Max-Age=60; Secure; SameSite=Strict']);
  const theirs = await pollingCookie(await officialPort(t, { cookie }));
  // The `cookie` package orders attributes differently; the set is the same.
  assert.deepEqual(ours[0].split('; ').sort(), theirs[0].split('; ').sort());
});

test('on the WebSocket handshake too', async (t) => {
  const port = ownPort(t, { cookie: { name: 'ws' } });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  t.after(() => ws.terminate());
  const [res] = await new Promise((resolve, reject) => {
    ws.once('upgrade', (r) => resolve([r]));
    ws.once('error', reject);
  });
  const [cookie] = res.headers['set-cookie'];
  assert.match(cookie, /^ws=[^;]{20}; Path=\/; HttpOnly; SameSite=Lax$/);
});

test('bad cookie options are errors', () => {
  assert.throws(() => new Server({ cookie: { expires: new Date() } }), (e) => e instanceof SioError && e.code === 'ERR_SIO_UNSUPPORTED' && /cookie\.expires/.test(e.message));
  assert.throws(() => new Server({ cookie: { name: 'a b' } }), (e) => e instanceof SioError && /cookie\.name/.test(e.message));
  assert.throws(() => new Server({ cookie: { sameSite: 'none' } }), (e) => e instanceof SioError && /needs cookie\.secure/.test(e.message));
  assert.throws(() => new Server({ cookiePath: '/' }), (e) => e instanceof SioError && /use "cookie\.path"/.test(e.message));
});
