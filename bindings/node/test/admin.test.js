'use strict';
// instrument(io, opts) with @socket.io/admin-ui's signature: the admin namespace answers
// socket.io-client as the official instrumentation does (config, all_sockets, server_stats,
// basic auth with a bcrypt hash, the UI's commands), and bad options are errors.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { io: connect } = require('socket.io-client');
const { Server, SioError, instrument } = require('..');

// A bcrypt hash of "changeit" (cost 4), as `@socket.io/admin-ui` users pass it.
const HASH = '$2a$04$XKlh8AbSk2PmjDq3t.oJre3/6vr9nHUDIDg8rcX97C3VXynbuLXT2';

function server(t) {
  const io = new Server(0);
  t.after(() => io.close());
  return { io, url: `http://127.0.0.1:${io.httpServer.address().port}` };
}

function client(t, url, opts) {
  const s = connect(url, { forceNew: true, reconnection: false, ...opts });
  t.after(() => s.disconnect());
  return s;
}

/** The next `ev`'s arguments; fails the test after 5 s instead of hanging. */
const once = (emitter, ev) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no "${ev}" within 5 s`)), 5000);
  emitter.once(ev, (...args) => { clearTimeout(timer); resolve(args); });
});

test('the admin namespace sends config, all_sockets and server_stats; its commands run', async (t) => {
  const { io, url } = server(t);
  instrument(io, { auth: false, serverId: 'node-face', mode: 'development' });
  const user = client(t, url);
  await once(user, 'connect');
  const admin = client(t, `${url}/admin`);
  // Listening to all three at once: config and all_sockets may arrive in one batch.
  const [[config], [all], [stats]] = await Promise.all(['config', 'all_sockets', 'server_stats'].map((ev) => once(admin, ev)));
  assert.ok(config.supportedFeatures.includes('MDISCONNECT'), JSON.stringify(config));
  assert.ok(all.some((s) => s.id === user.id && s.nsp === '/'), JSON.stringify(all));
  assert.equal(stats.serverId, 'node-face');
  assert.equal(stats.clientsCount, 2);

  const reason = once(user, 'disconnect');
  admin.emit('_disconnect', '/', false, user.id);
  assert.deepEqual((await reason)[0], 'io server disconnect');
});

test('basic auth with a bcrypt hash', async (t) => {
  const { io, url } = server(t);
  instrument(io, { auth: { type: 'basic', username: 'admin', password: HASH }, namespaceName: '/ops', readonly: true });
  const bad = client(t, `${url}/ops`, { auth: { username: 'admin', password: 'nope' } });
  assert.equal((await once(bad, 'connect_error'))[0].message, 'invalid credentials');
  const good = client(t, `${url}/ops`, { auth: { username: 'admin', password: 'changeit' } });
  const [[sessionId], [config]] = await Promise.all([once(good, 'session'), once(good, 'config')]);
  assert.match(sessionId, /^[0-9a-f]{16}$/);
  assert.deepEqual(config.supportedFeatures, ['AGGREGATED_EVENTS', 'ALL_EVENTS']);
});

test('bad options are errors', (t) => {
  const { io } = server(t);
  const code = (fn) => {
    try { fn(); } catch (e) { assert.ok(e instanceof SioError, String(e)); return e.code; }
    assert.fail('no error');
  };
  assert.equal(code(() => instrument(io, {})), 'ERR_SIO_INVALID_OPTION');
  assert.equal(code(() => instrument(io, { auth: { type: 'digest' } })), 'ERR_SIO_INVALID_OPTION');
  assert.equal(code(() => instrument(io, { auth: { type: 'basic', username: 'a', password: 'plain' } })), 'ERR_SIO_INVALID_OPTION');
  assert.equal(code(() => instrument(io, { auth: false, mode: 'staging' })), 'ERR_SIO_INVALID_OPTION');
  assert.equal(code(() => instrument(io, { auth: false, store: {} })), 'ERR_SIO_UNSUPPORTED');
  instrument(io, { auth: false });
  assert.equal(code(() => instrument(io, { auth: false })), 'ERR_SIO_INVALID_OPTION', 'a server is instrumented once');
});
