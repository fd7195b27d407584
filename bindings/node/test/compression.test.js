'use strict';
// httpCompression: polling responses over the threshold are gzip/deflate-compressed for
// requests that accept it (default on, 1024 bytes, as engine.io), `{ threshold }` moves the
// threshold, `false` turns it off. (Browsers read them: tests/interop/browser/bundle.test.js;
// socket.io-client in Node sends no Accept-Encoding.)
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const zlib = require('node:zlib');
const sio = require('..');

const servers = [];
after(async () => {
  for (const s of servers) await s.close();
});

function get(url, encoding) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: encoding ? { 'accept-encoding': encoding } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** The handshake response of a polling session (the open packet, ~100 bytes). */
async function handshake(opts) {
  const srv = new sio.Server(0, opts);
  servers.push(srv);
  const url = `http://127.0.0.1:${srv.httpServer.address().port}/socket.io/?EIO=4&transport=polling`;
  return { srv, url, res: await get(url, 'gzip, deflate') };
}

test('a threshold under the open packet compresses it; the default (1024) does not; false never', async () => {
  const small = await handshake({ httpCompression: { threshold: 10 } });
  assert.equal(small.res.headers['content-encoding'], 'gzip');
  assert.match(zlib.gunzipSync(small.res.body).toString(), /^0\{"sid"/);
  const dflt = await handshake();
  assert.equal(dflt.res.headers['content-encoding'], undefined);
  assert.match(dflt.res.body.toString(), /^0\{"sid"/);
  const off = await handshake({ httpCompression: false });
  assert.equal(off.res.headers['content-encoding'], undefined);
  assert.throws(() => new sio.Server({ httpCompression: { threshold: 1, level: 9 } }), (e) => e.code === 'ERR_SIO_UNSUPPORTED');
  assert.throws(() => new sio.Server({ compressionThreshold: 1 }), (e) => e.code === 'ERR_SIO_INVALID_OPTION' && /httpCompression\.threshold/.test(e.message));
});
