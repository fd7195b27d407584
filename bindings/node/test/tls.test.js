'use strict';
// TLS on the own port (`new Server(0, { tls: { cert, key } })`): a test CA made at test time
// (the `selfsigned` package) signs the server's certificate; the official socket.io-client
// and this package's client trust that CA and connect over https (polling, then the
// upgrade to wss) and over wss alone; `socket.handshake.secure` is true on the server.
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const selfsigned = require('selfsigned');
const official = require('socket.io-client');
const { Server, io: sioClient, SioError } = require('..');

let ca;
let leaf;
before(async () => {
  ca = await selfsigned.generate([{ name: 'commonName', value: 'sio test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  // The default extensions: serverAuth, SAN localhost and 127.0.0.1.
  leaf = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
  });
});

/** A TLS server on its own port whose sockets answer `secure` with [handshake.secure, transport]. */
function tlsServer(t, tls) {
  const srv = new Server(0, { tls });
  t.after(() => srv.close());
  srv.on('connection', (socket) => {
    socket.on('secure', (ack) => ack(socket.handshake.secure, socket.conn.transport.name));
  });
  return srv.httpServer.address().port;
}

/** Connects with `io`, waits for the upgrade when both transports are used, asks `secure`. */
async function askSecure(io, url, opts) {
  const socket = io(url, { forceNew: true, reconnection: false, ...opts });
  // Listened for at once: a fast upgrade can be over before `connect` is handled.
  const upgraded = new Promise((resolve) => socket.io.engine.once('upgrade', resolve));
  try {
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    if (opts.transports.length === 2 && socket.io.engine.transport.name !== 'websocket') {
      await upgraded;
    }
    return await new Promise((resolve, reject) => {
      socket.timeout(5000).emit('secure', (err, secure, transport) => (err ? reject(err) : resolve([secure, transport])));
    });
  } finally {
    socket.disconnect();
  }
}

test('the official socket.io-client over https then wss, and over wss alone', async (t) => {
  const port = tlsServer(t, { cert: leaf.cert, key: leaf.private });
  for (const host of ['localhost', '127.0.0.1']) {
    const url = `https://${host}:${port}`;
    assert.deepEqual(await askSecure(official.io, url, { ca: ca.cert, transports: ['polling', 'websocket'] }), [true, 'websocket'], url);
    assert.deepEqual(await askSecure(official.io, url, { ca: ca.cert, transports: ['websocket'] }), [true, 'websocket'], url);
    assert.deepEqual(await askSecure(official.io, url, { ca: ca.cert, transports: ['polling'] }), [true, 'polling'], url);
  }
  // Without the CA, the certificate is refused.
  await assert.rejects(askSecure(official.io, `https://localhost:${port}`, { transports: ['websocket'] }));
});

test('this package\'s client with the CA; Buffers, PEM strings and file paths', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-node-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  fs.writeFileSync(certFile, leaf.cert);
  fs.writeFileSync(keyFile, leaf.private);
  for (const tls of [
    { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) },
    { cert: certFile, key: keyFile },
    { cert: leaf.cert, key: new Uint8Array(fs.readFileSync(keyFile)) },
  ]) {
    const url = `https://localhost:${tlsServer(t, tls)}`;
    assert.deepEqual(await askSecure(sioClient, url, { ca: ca.cert, transports: ['polling', 'websocket'] }), [true, 'websocket']);
  }
});

test('bad TLS options throw ERR_SIO_INVALID_OPTION naming tls.cert or tls.key', async () => {
  const throws = (tls, re) =>
    assert.throws(() => new Server({ tls }), (e) => e instanceof SioError && e.code === 'ERR_SIO_INVALID_OPTION' && re.test(e.message), String(re));
  throws({ cert: leaf.cert }, /"tls.cert" needs tls.key/);
  throws({ key: leaf.private }, /"tls.key" needs tls.cert/);
  throws({ cert: '-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n', key: leaf.private }, /"tls.cert": invalid certificate PEM/);
  throws({ cert: leaf.cert, key: '/nonexistent/sio/key.pem' }, /"tls.key": cannot read \/nonexistent\/sio\/key.pem/);
  throws({ cert: ca.cert, key: leaf.private }, /"tls.key": the private key does not match the certificate/);
  throws({ cert: 1, key: leaf.private }, /"tls.cert" must be PEM/);
  throws('yes', /"tls" must be an object/);
  assert.throws(() => new Server({ tlsCert: leaf.cert }), (e) => e.code === 'ERR_SIO_INVALID_OPTION' && /use "tls.cert"/.test(e.message));
  assert.throws(() => new Server({ tls: { cert: leaf.cert, key: leaf.private, ca: ca.cert } }), (e) => e.code === 'ERR_SIO_UNSUPPORTED');
});
