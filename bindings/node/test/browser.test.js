'use strict';
// The official socket.io browser bundle in headless Chromium against this addon's server:
// connect, upgrade to WebSocket, emit binary with an acknowledgement.
// The page is served by a tiny Node http server on `localhost` and connects to the addon on
// `127.0.0.1` (a page made with setContent cannot open WebSockets to 127.0.0.1: Chromium's
// local network checks). Skipped when playwright-core or Chromium is not installed.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const sio = require('..');
const { once, bounded } = require('./suite');

const testsDir = path.resolve(__dirname, '../../../tests/node_modules');
const BUNDLE = path.join(testsDir, 'socket.io-client/dist/socket.io.min.js');
const CHROMIUM = process.env.SIO_CHROMIUM || '/usr/bin/chromium';
let chromium;
try {
  ({ chromium } = require(path.join(testsDir, 'playwright-core')));
} catch {
  chromium = null;
}
const missing = !chromium ? 'playwright-core is not installed in tests/' : !fs.existsSync(CHROMIUM) ? `${CHROMIUM} not found` : !fs.existsSync(BUNDLE) ? 'no browser bundle' : false;

function pageServer() {
  const bundle = fs.readFileSync(BUNDLE);
  const server = http.createServer((req, res) => {
    if (req.url === '/blank.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>blank</title><script src="/socket.io.min.js"></script>');
    } else if (req.url === '/socket.io.min.js') {
      res.writeHead(200, { 'content-type': 'application/javascript' });
      res.end(bundle);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://localhost:${server.address().port}`,
        close: () => new Promise((r) => {
          server.closeAllConnections();
          server.close(r);
        }),
      }),
    );
  });
}

test('browser bundle in headless Chromium: connect, upgrade, binary emit with ack', { skip: missing, timeout: 60000 }, async (t) => {
  // The page's origin is http://localhost:Q: polling requests are cross-origin.
  const srv = new sio.Server(0, { cors: { origin: '*' } });
  t.after(() => srv.close());
  const url = `http://127.0.0.1:${srv.httpServer.address().port}`;
  const pages = await pageServer();
  t.after(() => pages.close());
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());

  const upgraded = new Promise((resolve) => srv.engine.on('connection', (conn) => conn.on('upgrade', (tr) => resolve([conn.id, tr.name]))));
  srv.on('connection', (s) => {
    s.on('bin', (buf, meta, ack) => {
      assert.ok(Buffer.isBuffer(buf));
      ack({ len: buf.length, sum: [...buf].reduce((a, b) => a + b, 0), meta, back: Buffer.from([9, 8, 7]) });
    });
  });
  const connected = once(srv, 'connection');

  const page = await browser.newPage();
  await page.goto(`${pages.url}/blank.html`);
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
    const answer = await within(10000, 'ack', socket.emitWithAck('bin', new Uint8Array([1, 2, 3, 250]), { tag: 'x' }));
    const out = {
      id: socket.id,
      engineId: engine.id,
      transport: engine.transport.name,
      answer: { len: answer.len, sum: answer.sum, meta: answer.meta, backIsBinary: answer.back instanceof ArrayBuffer, back: Array.from(new Uint8Array(answer.back)) },
    };
    socket.disconnect();
    return out;
  }, url);

  const [s] = await bounded(connected, 15000, 'connection');
  const gone = once(s, 'disconnect');
  const r = await bounded(result, 30000, 'the page');
  assert.equal(r.id, s.id);
  assert.equal(r.transport, 'websocket');
  assert.deepEqual(await bounded(upgraded), [r.engineId, 'websocket']);
  assert.deepEqual(r.answer, { len: 4, sum: 256, meta: { tag: 'x' }, backIsBinary: true, back: [9, 8, 7] });
  assert.equal((await bounded(gone))[0], 'client namespace disconnect');
});
