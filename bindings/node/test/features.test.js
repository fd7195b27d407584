'use strict';
// Manager multiplexing, dynamic namespaces, serverSideEmit and io.engine.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const sio = require('..');
const official = require('socket.io');
const { once, bounded } = require('./suite');

// A server closed after the test even when it fails (an open server keeps the process alive).
function start(t, Impl = sio.Server, opts) {
  const srv = new Impl(0, opts);
  t.after(() => srv.close());
  const url = `http://127.0.0.1:${srv.httpServer.address().port}`;
  return { srv, url };
}

// The server-side socket of a connected client. In one process the client's `connect`
// may be handled before the server's `connection`: wait for the latter too.
function serverSocket(srv, c) {
  const nsp = srv.of(c.nsp);
  const s = nsp.sockets.get(c.id);
  if (s) return Promise.resolve(s);
  return bounded(
    new Promise((resolve) => {
      const on = (x) => {
        if (x.id !== c.id) return;
        nsp.off('connection', on);
        resolve(x);
      };
      nsp.on('connection', on);
    }),
    5000,
    `server socket of ${c.id}`,
  );
}

// Waits until every client is connected; returns the server-side Engine.IO id of each.
async function engineIds(srv, sockets) {
  await bounded(Promise.all(sockets.map((c) => (c.connected ? Promise.resolve() : once(c, 'connect')))), 5000, 'connections');
  return Promise.all(sockets.map(async (c) => (await serverSocket(srv, c)).conn.id));
}

for (const [label, Impl] of [
  ['sio server', sio.Server],
  ['official server', official.Server],
]) {
  test(`${label}: one Manager multiplexes its namespaces over one Engine.IO connection`, async (t) => {
    const { srv, url } = start(t, Impl);
    srv.of('/a');
    srv.of('/b');
    const manager = new sio.Manager(url, { reconnection: false });
    const a = manager.socket('/a');
    const b = manager.socket('/b');
    assert.equal(manager.socket('/a'), a);
    const [ia, ib] = await engineIds(srv, [a, b]);
    assert.ok(ia);
    assert.equal(ia, ib, 'both namespaces share one Engine.IO connection');
    assert.equal(manager.engine.id, ia);
    assert.notEqual(a.id, b.id);
    // Both namespaces carry traffic on the shared connection.
    const sb = srv.of('/b').sockets.get(b.id);
    sb.on('echo', (x, ack) => ack(x));
    assert.equal(await b.timeout(2000).emitWithAck('echo', 'via b'), 'via b');
    a.disconnect();
    b.disconnect();
    await srv.close();
  });

  test(`${label}: io() caches managers per server; forceNew and multiplex:false do not`, async (t) => {
    const { srv, url } = start(t, Impl);
    srv.of('/x');
    srv.of('/y');
    const root = sio.io(url, { reconnection: false });
    const x = sio.io(url + '/x', { reconnection: false });
    const y = sio.io(url + '/y', { forceNew: true, reconnection: false });
    const z = sio.io(url + '/x', { reconnection: false }); // `/x` taken: a new Manager
    const w = sio.io(url, { multiplex: false, reconnection: false });
    assert.equal(root.io, x.io);
    assert.notEqual(y.io, root.io);
    assert.notEqual(z.io, root.io);
    assert.notEqual(w.io, root.io);
    const all = [root, x, y, z, w];
    const ids = await engineIds(srv, all);
    assert.equal(ids[0], ids[1], 'io(url) and io(url + "/x") share a connection');
    assert.equal(new Set(ids).size, 4, 'forceNew, a taken namespace and multiplex:false each open their own');
    for (const c of all) c.disconnect();
    await srv.close();
  });
}

test('dynamic namespaces: io.of(regex) and io.of(fn)', async (t) => {
  const { srv, url } = start(t);
  const byRegex = srv.of(/^\/dyn-\d+$/);
  const seen = [];
  // Both server-side connections (a client's `connect` may be handled before them).
  const bothSeen = new Promise((resolve) => byRegex.on('connection', (s) => seen.push(s.nsp.name) === 2 && resolve()));
  const used = [];
  byRegex.use((s, next) => {
    used.push(s.nsp.name);
    next();
  });
  const byFn = srv.of((name, auth, next) => next(null, name.startsWith('/fn-') && auth.ok === true));
  byFn.on('connection', (s) => {
    s.emit('welcome', s.nsp.name);
  });

  const d1 = sio.io(url + '/dyn-1', { forceNew: true, reconnection: false });
  const d2 = sio.io(url + '/dyn-22', { forceNew: true, reconnection: false });
  await bounded(Promise.all([once(d1, 'connect'), once(d2, 'connect'), bothSeen]));
  assert.deepEqual(seen.sort(), ['/dyn-1', '/dyn-22']);
  assert.deepEqual(used.sort(), ['/dyn-1', '/dyn-22']);
  assert.equal(srv.of('/dyn-1').sockets.size, 1, 'the child is a namespace of its own');

  // A broadcast on the parent reaches every child.
  const got = Promise.all([once(d1, 'all'), once(d2, 'all')]);
  byRegex.emit('all', 42);
  assert.deepEqual(await bounded(got), [[42], [42]]);

  const bad = sio.io(url + '/dyn-x', { forceNew: true, reconnection: false });
  assert.equal((await bounded(once(bad, 'connect_error')))[0].message, 'Invalid namespace');

  const f = sio.io(url + '/fn-a', { forceNew: true, reconnection: false, auth: { ok: true } });
  const welcome = once(f, 'welcome');
  await bounded(once(f, 'connect'));
  assert.deepEqual(await bounded(welcome), ['/fn-a']);
  const refused = sio.io(url + '/fn-b', { forceNew: true, reconnection: false, auth: { ok: false } });
  assert.equal((await bounded(once(refused, 'connect_error')))[0].message, 'Invalid namespace');

  for (const c of [d1, d2, bad, f, refused]) c.disconnect();
  await srv.close();
});

test('serverSideEmit on a single node: the ack gets an empty list', async (t) => {
  const { srv } = start(t);
  const responses = await bounded(new Promise((resolve, reject) => srv.serverSideEmit('hello', 1, (err, r) => (err ? reject(err) : resolve(r)))));
  assert.deepEqual(responses, []);
  assert.deepEqual(await bounded(srv.serverSideEmitWithAck('ping')), []);
  assert.equal(srv.serverSideEmit('no-ack', { a: 1 }), true);
  assert.throws(() => srv.serverSideEmit('connect'), (e) => e.code === 'ERR_SIO_RESERVED_EVENT');
  await srv.close();
});

test('io.engine: connection, then the conn emits upgrade and close', async (t) => {
  const { srv, url } = start(t);
  const conn = once(srv.engine, 'connection');
  const c = sio.io(url, { forceNew: true, reconnection: false });
  const [ec] = await bounded(conn);
  assert.equal(typeof ec.id, 'string');
  assert.equal(ec.transport.name, 'polling');
  const upgraded = once(ec, 'upgrade');
  const [s] = await bounded(once(srv, 'connection'));
  assert.equal(s.conn.id, ec.id);
  assert.equal((await bounded(upgraded))[0].name, 'websocket');
  assert.equal(ec.transport.name, 'websocket');
  assert.equal(srv.engine.clientsCount, 1);
  const closed = once(ec, 'close');
  c.disconnect();
  await bounded(closed);
  assert.equal(srv.engine.clientsCount, 0);
  await srv.close();
});

for (const [label, Impl] of [
  ['sio server', sio.Server],
  ['official server', official.Server],
]) {
  test(`${label}: an auth function answering later is called before each CONNECT`, async (t) => {
    const { srv, url } = start(t, Impl);
    const seen = [];
    srv.on('connection', (s) => seen.push(s.handshake.auth));
    let n = 0;
    const c = sio.io(url, {
      forceNew: true,
      reconnectionDelay: 20,
      reconnectionDelayMax: 40,
      auth: (cb) => setTimeout(() => cb({ token: `t${++n}` }), 30),
    });
    t.after(() => c.disconnect());
    assert.equal(c.active, true, 'active while the auth callback is pending');
    await bounded(once(c, 'connect'));
    assert.deepEqual(seen, [{ token: 't1' }]);
    // The server drops the connection: the client reconnects by itself and asks again.
    const [s1] = [...srv.of('/').sockets.values()];
    const again = once(srv.of('/'), 'connection');
    s1.conn.close();
    await bounded(Promise.all([once(c.io, 'reconnect'), again, once(c, 'connect')]));
    assert.deepEqual(seen, [{ token: 't1' }, { token: 't2' }]);

    // disconnect() before the callback answers: its late answer connects nothing.
    let asked;
    let answered;
    const late = sio.io(url, {
      forceNew: true,
      auth: (cb) => {
        asked();
        setTimeout(() => answered(cb({ late: true })), 20);
      },
    });
    const lateAsked = new Promise((r) => (asked = r));
    const lateAnswer = new Promise((r) => (answered = r));
    await bounded(lateAsked); // as with socket.io-client, not before io() returned
    late.disconnect();
    await bounded(lateAnswer);
    const probe = sio.io(url, { forceNew: true, reconnection: false, auth: { probe: true } });
    t.after(() => probe.disconnect());
    await bounded(once(probe, 'connect'));
    await serverSocket(srv, probe);
    assert.equal(late.connected, false);
    assert.equal(late.active, false);
    assert.ok(!seen.some((a) => a.late), 'the late answer opened no connection');
  });

  test(`${label}: serveClient serves the browser bundle, with revalidation, on its own port and attached`, async (t) => {
    const http = require('node:http');
    const { url } = start(t, Impl);
    const res = await fetch(`${url}/socket.io/socket.io.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/javascript/);
    const body = await res.text();
    assert.match(body, /Socket\.IO v4/);
    if (Impl === sio.Server) {
      const dist = require.resolve('socket.io-client/dist/socket.io.js');
      assert.equal(body, require('node:fs').readFileSync(dist, 'utf8'));
    }
    const etag = res.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${url}/socket.io/socket.io.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const min = await fetch(`${url}/socket.io/socket.io.min.js`);
    assert.equal(min.status, 200);
    await min.arrayBuffer();
    const map = await fetch(`${url}/socket.io/socket.io.min.js.map`);
    assert.equal(map.status, 200);
    assert.match(map.headers.get('content-type'), /^application\/json/);
    await map.arrayBuffer();

    // serveClient: false: not served.
    const off = start(t, Impl, { serveClient: false });
    assert.equal(off.srv.serveClient(), false);
    const none = await fetch(`${off.url}/socket.io/socket.io.js`);
    assert.notEqual(none.status, 200);
    await none.arrayBuffer();

    // Attached to an http.Server: the bundle comes through the same path. The setting is
    // read when attaching: serveClient(true) before attach turns it on.
    const app = http.createServer((req, res) => res.end('app'));
    const attached = new Impl({ serveClient: false });
    assert.equal(attached.serveClient(true), attached);
    attached.attach(app);
    await new Promise((r) => app.listen(0, '127.0.0.1', r));
    t.after(() => attached.close());
    const viaApp = await fetch(`http://127.0.0.1:${app.address().port}/socket.io/socket.io.js`);
    assert.equal(viaApp.status, 200);
    assert.match(await viaApp.text(), /Socket\.IO v4/);
    assert.equal(await (await fetch(`http://127.0.0.1:${app.address().port}/other`)).text(), 'app');
  });

  test(`${label}: matchers and auth functions still pending hold nothing up`, async (t) => {
    const { srv, url } = start(t, Impl);
    const clients = [];
    const connect = (path, opts) => {
      const c = sio.io(url + path, { forceNew: true, reconnection: false, ...opts });
      clients.push(c);
      return c;
    };
    t.after(() => {
      for (const c of clients) c.disconnect();
    });
    const N = 8;
    const nexts = [];
    const cbs = [];
    let asked;
    const allAsked = new Promise((r) => (asked = r));
    const check = () => nexts.length === N && cbs.length === N && asked();
    srv.of((name, auth, next) => {
      nexts.push(next);
      check();
    });
    const held = Array.from({ length: N }, (_, i) => connect(`/held-${i}`));
    const waiting = Array.from({ length: N }, () =>
      connect('/', {
        auth: (cb) => {
          cbs.push(cb);
          check();
        },
      }),
    );
    await bounded(allAsked);
    // Sixteen answers outstanding: a client with nothing to wait for connects regardless.
    const free = connect('/', { auth: { free: true } });
    await bounded(once(free, 'connect'));
    assert.ok(held.every((c) => !c.connected) && waiting.every((c) => !c.connected));
    for (const next of nexts) next(null, true);
    for (const cb of cbs) cb({ late: true });
    await bounded(Promise.all([...held, ...waiting].map((c) => (c.connected ? null : once(c, 'connect')))));
  });

  test(`${label}: io.of(fn) creates no namespace the function refuses; a later parent can take the name`, async (t) => {
    const { srv, url } = start(t, Impl);
    const clients = [];
    const connect = (nsp, auth) => {
      const c = sio.io(url + nsp, { forceNew: true, reconnection: false, auth });
      clients.push(c);
      return c;
    };
    t.after(() => {
      for (const c of clients) c.disconnect();
    });
    const asked = [];
    const byFn = srv.of((name, auth, next) => {
      asked.push(name);
      setTimeout(() => (name === '/boom' ? next(new Error('no')) : next(null, auth.ok === true)), 5);
    });
    const byRegex = srv.of(/^\/re-\d+$/);

    const refused = connect('/fn-b', { ok: false });
    assert.equal((await bounded(once(refused, 'connect_error')))[0].message, 'Invalid namespace');
    const failed = connect('/boom', { ok: true });
    assert.equal((await bounded(once(failed, 'connect_error')))[0].message, 'Invalid namespace');
    assert.equal(byFn.children.size, 0);
    assert.equal(srv._nsps.has('/fn-b'), false);
    assert.equal(srv._nsps.has('/boom'), false);

    // The name stayed free: the function is asked again, and accepts now.
    const ok = connect('/fn-b', { ok: true });
    await bounded(once(ok, 'connect'));
    assert.deepEqual([...byFn.children].map((n) => n.name), ['/fn-b']);
    assert.deepEqual(asked, ['/fn-b', '/boom', '/fn-b']);

    // The function (registered first) refuses /re-1: the regex parent gets it.
    const viaRegex = connect('/re-1', { ok: false });
    await bounded(once(viaRegex, 'connect'));
    assert.deepEqual([...byRegex.children].map((n) => n.name), ['/re-1']);
    assert.deepEqual([...byFn.children].map((n) => n.name), ['/fn-b']);
  });
}
