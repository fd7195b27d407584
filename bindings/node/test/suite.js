'use strict';
// One suite, run against several implementations (official socket.io, this addon, and
// the two mixes). Every wait is on an event; timeouts only bound a failing test.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');

function once(emitter, ev) {
  return new Promise((resolve) => emitter.once(ev, (...args) => resolve(args)));
}

function bounded(p, ms = 5000, what = 'event') {
  let t;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

function run(label, { Server, io }) {
  const cleanups = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  function start(opts) {
    const srv = new Server(0, opts);
    const port = srv.httpServer.address().port;
    const url = `http://127.0.0.1:${port}`;
    const clients = [];
    const connect = (nsp = '', o = {}) => {
      const c = io(url + nsp, { forceNew: true, reconnection: false, ...o });
      clients.push(c);
      return c;
    };
    const stop = async () => {
      for (const c of clients) c.disconnect();
      await srv.close();
    };
    cleanups.push(stop);
    return { srv, url, connect, stop };
  }

  // A connected pair: the client and its server-side socket.
  async function pair(t, nsp = '', o = {}) {
    const conn = once(t.srv.of(nsp || '/'), 'connection');
    const c = t.connect(nsp, o);
    const [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]), 5000, 'connection');
    return { c, s };
  }

  test(`${label}: connection, id, handshake, rooms, conn`, async () => {
    const t = start();
    const { c, s } = await pair(t, '', { auth: { token: 'abc' }, query: { q: '1' } });
    assert.equal(s.id, c.id);
    assert.equal(c.connected, true);
    assert.equal(c.active, true);
    assert.ok(!c.recovered);
    assert.ok(!s.recovered);
    assert.deepEqual(s.handshake.auth, { token: 'abc' });
    assert.equal(s.handshake.query.q, '1');
    assert.equal(typeof s.handshake.time, 'string');
    assert.ok(s.rooms instanceof Set);
    assert.deepEqual([...s.rooms], [s.id]);
    assert.ok(['polling', 'websocket'].includes(s.conn.transport.name));
    assert.deepEqual(s.data, {});
    await t.stop();
  });

  test(`${label}: events and acks both ways, emitWithAck, timeout`, async () => {
    const t = start();
    const { c, s } = await pair(t);
    s.on('sum', (a, b, ack) => ack(a + b, { ok: true }));
    const got = await bounded(new Promise((r) => c.emit('sum', 2, 3, (...res) => r(res))));
    assert.deepEqual(got, [5, { ok: true }]);
    assert.equal(await bounded(c.emitWithAck('sum', 1, 1)), 2);
    c.on('ask', (x, ack) => ack(x * 2));
    assert.equal(await bounded(s.emitWithAck('ask', 21)), 42);
    const viaCb = await bounded(new Promise((r) => s.timeout(2000).emit('ask', 5, (err, v) => r([err, v]))));
    assert.deepEqual(viaCb, [null, 10]);
    c.on('silent', () => {});
    const [err] = await bounded(new Promise((r) => s.timeout(50).emit('silent', (...a) => r(a))));
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'operation has timed out');
    await assert.rejects(c.timeout(50).emitWithAck('nobody-listens'), /operation has timed out/);
    // Arguments and answers of any size and text come back as sent (sio keeps a text
    // event's arguments as text and reads an answer through a 4 KiB scratch buffer).
    s.on('echo', (...args) => args.pop()(...args));
    const texts = ['', 'é"\\\n\u2028😀', ...[4088, 4090, 4091, 4092, 4094].map((n) => 'x'.repeat(n)), 'é'.repeat(3000), '😀'.repeat(40000)];
    for (const text of texts) {
      const back = await bounded(new Promise((r) => c.emit('echo', text, { text }, (...res) => r(res))));
      assert.deepEqual(back, [text, { text }], `echo of ${text.length} characters`);
    }
    const values = [null, true, 1.5, 'é', [1, [2]], { a: { b: null } }];
    const echoed = once(c, 'values');
    s.emit('values', ...values);
    assert.deepEqual(await bounded(echoed), values);
    await t.stop();
  });

  test(`${label}: binary payloads (Buffer, Uint8Array, nested)`, async () => {
    const t = start();
    const { c, s } = await pair(t);
    const fromClient = once(s, 'bin');
    c.emit('bin', Buffer.from([1, 2, 3]), { nested: new Uint8Array([4, 5]), list: [Buffer.from('hi')] });
    const [b1, obj] = await bounded(fromClient);
    assert.ok(Buffer.from(b1).equals(Buffer.from([1, 2, 3])));
    assert.ok(Buffer.from(obj.nested).equals(Buffer.from([4, 5])));
    assert.equal(Buffer.from(obj.list[0]).toString(), 'hi');
    const fromServer = once(c, 'bin');
    s.emit('bin', { data: Buffer.alloc(1000, 7) });
    const [o2] = await bounded(fromServer);
    assert.equal(Buffer.from(o2.data).length, 1000);
    assert.equal(Buffer.from(o2.data)[999], 7);
    s.on('binack', (ack) => ack(Buffer.from([9])));
    const res = await bounded(c.emitWithAck('binack'));
    assert.ok(Buffer.from(res).equals(Buffer.from([9])));
    await t.stop();
  });


  // The addon hands JS runs of buffer-free events packed together, a buffer's event on its
  // own: a burst that mixes both must still arrive in the order sent, every ack answered.
  test(`${label}: a burst of events with and without buffers arrives in order, acks answered`, async () => {
    const t = start();
    const { c, s } = await pair(t);
    const N = 60;
    const got = [];
    const all = new Promise((resolve) => {
      s.on('n', (i, x, ack) => {
        got.push([i, Buffer.isBuffer(x) ? Buffer.from(x)[0] : x.v]);
        if (typeof ack === 'function') ack(i * 10);
        if (got.length === N) resolve();
      });
    });
    const acks = [];
    const answered = new Promise((resolve) => {
      for (let i = 0; i < N; i++) {
        const payload = i % 7 === 3 ? Buffer.from([i]) : { v: i };
        if (i % 2 === 0) c.emit('n', i, payload);
        else c.emit('n', i, payload, (r) => acks.push(r) === N / 2 && resolve());
      }
    });
    await bounded(all, 5000, 'every event');
    assert.deepEqual(got, Array.from({ length: N }, (_, i) => [i, i]));
    await bounded(answered, 5000, 'every ack');
    assert.deepEqual(acks, Array.from({ length: N / 2 }, (_, k) => (2 * k + 1) * 10));
    await t.stop();
  });
  test(`${label}: a handler's awaits finish before the next client's event is dispatched`, async () => {
    // As socket.io reads each connection's packets in its own I/O callback, the microtask
    // queue drains between events of different clients, however many arrive together.
    const t = start();
    const { c: c0, s: s0 } = await pair(t);
    const K = 6;
    const others = [];
    for (let k = 0; k < K; k++) others.push(await pair(t));
    // Holds the server's JS thread so that the others' events queue up behind this one.
    s0.on('hold', () => {
      const until = Date.now() + 100;
      while (Date.now() < until);
    });
    const log = [];
    const finished = new Promise((resolve) => {
      let done = 0;
      others.forEach(({ s }, k) => {
        s.on('e', async () => {
          log.push(`start ${k}`);
          await null;
          await Promise.resolve();
          await new Promise((r) => r());
          log.push(`end ${k}`);
          if (++done === K) resolve();
        });
      });
    });
    c0.emit('hold');
    for (const { c } of others) c.emit('e');
    await bounded(finished, 5000, 'every event');
    for (let k = 0; k < K; k++) {
      const i = log.indexOf(`start ${k}`);
      assert.equal(log[i + 1], `end ${k}`, `event ${k} ran its awaits before the next: ${log.join(', ')}`);
    }
    await t.stop();
  });

  test(`${label}: rooms, broadcast, except, socketsJoin/Leave`, async () => {
    const t = start();
    const a = await pair(t);
    const b = await pair(t);
    a.s.join('r1');
    assert.ok(a.s.rooms.has('r1'));
    const gotA = once(a.c, 'room');
    t.srv.to('r1').emit('room', 'only-a');
    assert.deepEqual(await bounded(gotA), ['only-a']);
    // broadcast from a reaches b only; except r1 reaches b only
    const gotB = once(b.c, 'bcast');
    a.c.on('bcast', () => assert.fail('sender got its own broadcast'));
    a.s.broadcast.emit('bcast', 1);
    assert.deepEqual(await bounded(gotB), [1]);
    const gotB2 = once(b.c, 'ex');
    a.c.on('ex', () => assert.fail('r1 member got an except broadcast'));
    t.srv.except('r1').emit('ex', 2);
    assert.deepEqual(await bounded(gotB2), [2]);
    t.srv.socketsJoin('all');
    assert.ok(a.s.rooms.has('all') && b.s.rooms.has('all'));
    t.srv.in('r1').socketsLeave('all');
    assert.ok(!a.s.rooms.has('all') && b.s.rooms.has('all'));
    a.s.leave('r1');
    assert.ok(!a.s.rooms.has('r1'));
    const both = Promise.all([once(a.c, 'everyone'), once(b.c, 'everyone')]);
    t.srv.emit('everyone', 'x');
    assert.deepEqual(await bounded(both), [['x'], ['x']]);
    await t.stop();
  });

  test(`${label}: broadcast acks with timeout`, async () => {
    const t = start();
    const a = await pair(t);
    const b = await pair(t);
    a.c.on('q', (n, ack) => ack(n + 1));
    b.c.on('q', (n, ack) => ack(n + 2));
    const responses = await bounded(t.srv.timeout(2000).emitWithAck('q', 10));
    assert.deepEqual(responses.sort(), [11, 12]);
    const [err] = await bounded(new Promise((r) => t.srv.timeout(50).emit('unanswered', (...x) => r(x))));
    assert.equal(err.message, 'operation has timed out');
    await t.stop();
  });

  test(`${label}: namespaces`, async () => {
    const t = start();
    const admin = t.srv.of('/admin');
    const { c, s } = await pair(t, '/admin');
    assert.equal(s.nsp.name, '/admin');
    const main = await pair(t);
    main.c.on('news', () => assert.fail('main namespace got an /admin event'));
    const got = once(c, 'news');
    admin.emit('news', 'for admins');
    assert.deepEqual(await bounded(got), ['for admins']);
    const bad = t.connect('/nope');
    const [err] = await bounded(once(bad, 'connect_error'));
    assert.equal(err.message, 'Invalid namespace');
    await t.stop();
  });

  test(`${label}: middleware refusal with data, acceptance with socket.data`, async () => {
    const t = start();
    t.srv.use((socket, next) => {
      if (socket.handshake.auth.token !== 'good') {
        const e = new Error('not authorized');
        e.data = { reason: 'bad token', code: 42 };
        return next(e);
      }
      socket.data.user = 'alice';
      next();
    });
    const refused = t.connect('', { auth: { token: 'bad' } });
    const [err] = await bounded(once(refused, 'connect_error'));
    assert.equal(err.message, 'not authorized');
    assert.deepEqual(err.data, { reason: 'bad token', code: 42 });
    assert.equal(refused.active, false);
    assert.equal(refused.connected, false);
    const { s } = await pair(t, '', { auth: { token: 'good' } });
    assert.equal(s.data.user, 'alice');
    await t.stop();
  });

  test(`${label}: fetchSockets with data`, async () => {
    const t = start();
    const a = await pair(t);
    const b = await pair(t);
    a.s.data.name = 'a';
    b.s.data = { name: 'b' };
    b.s.join('vip');
    const all = await t.srv.fetchSockets();
    assert.deepEqual(all.map((s) => s.data.name).sort(), ['a', 'b']);
    const vip = await t.srv.in('vip').fetchSockets();
    assert.equal(vip.length, 1);
    assert.equal(vip[0].id, b.s.id);
    assert.ok(vip[0].rooms.has('vip'));
    assert.deepEqual(vip[0].data, { name: 'b' });
    await t.stop();
  });

  test(`${label}: socket.use, onAny, onAnyOutgoing, error`, async () => {
    const t = start();
    const { c, s } = await pair(t);
    const seen = [];
    s.onAny((ev, ...args) => seen.push([ev, ...args]));
    const out = [];
    s.onAnyOutgoing((ev, ...args) => out.push([ev, ...args]));
    s.use(([ev], next) => (ev === 'forbidden' ? next(new Error('nope')) : next()));
    const error = once(s, 'error');
    c.emit('forbidden', 1);
    const [e] = await bounded(error);
    assert.equal(e.message, 'nope');
    const ok = once(s, 'allowed');
    c.emit('allowed', 2);
    assert.deepEqual(await bounded(ok), [2]);
    assert.deepEqual(seen, [['forbidden', 1], ['allowed', 2]]);
    s.emit('out', 3);
    assert.deepEqual(out, [['out', 3]]);
    await t.stop();
  });

  test(`${label}: Manager setters change the reconnection that follows`, async () => {
    const t = start();
    const { c, s } = await pair(t, '', { transports: ['websocket'], reconnection: false });
    assert.equal(c.io.reconnection(), false);
    const io = c.io.reconnection(true).reconnectionAttempts(5).reconnectionDelay(10).reconnectionDelayMax(20).randomizationFactor(0).timeout(5000);
    assert.equal(io, c.io, 'the setters chain');
    assert.deepEqual([io.reconnection(), io.reconnectionAttempts(), io.reconnectionDelay(), io.reconnectionDelayMax(), io.randomizationFactor(), io.timeout()], [true, 5, 10, 20, 0, 5000]);
    const attempt = once(c.io, 'reconnect_attempt');
    const back = once(c.io, 'reconnect');
    s.conn.close(); // transport close: reconnects only because reconnection is now on
    assert.deepEqual(await bounded(attempt), [1]);
    await bounded(back);
    c.disconnect();
    await t.stop();
  });

  test(`${label}: socket.auth changed before connect() goes with the next CONNECT`, async () => {
    const t = start();
    const c = t.connect('', { autoConnect: false, auth: { token: 'a' } });
    c.auth.token = 'b'; // the same object, changed in place
    let conn = once(t.srv, 'connection');
    c.connect();
    let [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]));
    assert.deepEqual(s.handshake.auth, { token: 'b' });
    const gone = once(s, 'disconnect');
    c.disconnect();
    await bounded(gone);
    c.auth = { token: 'c' }; // a new one
    conn = once(t.srv, 'connection');
    c.connect();
    [[s]] = await bounded(Promise.all([conn, once(c, 'connect')]));
    assert.deepEqual(s.handshake.auth, { token: 'c' });
    await t.stop();
  });

  test(`${label}: disconnecting handlers see a connected socket whose emits still go out`, async () => {
    const t = start();
    const a = await pair(t);
    const b = await pair(t);
    a.s.join('lobby');
    b.s.join('lobby');
    const seen = new Promise((r) =>
      a.s.on('disconnecting', (reason) => {
        a.s.emit('bye'); // to a client that has left: dropped, no error
        a.s.to('lobby').emit('news', 'left', a.s.connected);
        r([reason, a.s.connected, a.s.rooms.has('lobby')]);
      }),
    );
    const news = once(b.c, 'news');
    const gone = once(a.s, 'disconnect');
    a.c.disconnect();
    assert.deepEqual(await bounded(seen), ['client namespace disconnect', true, true]);
    assert.deepEqual(await bounded(news), ['left', true]);
    await bounded(gone);
    assert.equal(a.s.connected, false);
    await t.stop();
  });

  test(`${label}: disconnect reasons and disconnecting`, async () => {
    const t = start();
    {
      const { c, s } = await pair(t);
      s.join('room-x');
      const disconnecting = new Promise((r) => s.on('disconnecting', (reason) => r([reason, [...s.rooms].sort()])));
      const sd = once(s, 'disconnect');
      const cd = once(c, 'disconnect');
      s.disconnect();
      const [[creason], [sreason], [dreason, rooms]] = await bounded(Promise.all([cd, sd, disconnecting]));
      assert.equal(creason, 'io server disconnect');
      assert.equal(sreason, 'server namespace disconnect');
      assert.equal(dreason, 'server namespace disconnect');
      assert.deepEqual(rooms, ['room-x', s.id].sort());
      assert.equal(c.active, false);
      assert.equal(s.connected, false);
    }
    {
      const { c, s } = await pair(t);
      const sd = once(s, 'disconnect');
      const cd = once(c, 'disconnect');
      c.disconnect();
      const [[creason], [sreason]] = await bounded(Promise.all([cd, sd]));
      assert.equal(creason, 'io client disconnect');
      assert.equal(sreason, 'client namespace disconnect');
    }
    {
      const { c } = await pair(t);
      const cd = once(c, 'disconnect');
      t.srv.disconnectSockets();
      assert.equal((await bounded(cd))[0], 'io server disconnect');
    }
    await t.stop();
  });

  test(`${label}: a recovered socket has the data it had`, async () => {
    const t = start({ connectionStateRecovery: {} });
    const { c, s } = await pair(t, '', { transports: ['websocket'], reconnection: true, reconnectionDelay: 10, reconnectionDelayMax: 20 });
    s.data = { name: 'x', bin: Buffer.from([1, 2]) };
    // The client recovers from the offset of the last event it got: it needs one.
    const tick = once(c, 'tick');
    t.srv.emit('tick');
    await bounded(tick);
    // A transport that ends abruptly (`forced close` on the server) keeps the session.
    const back = once(t.srv, 'connection');
    const reconnected = once(c, 'connect');
    s.conn.close();
    const [[r]] = await bounded(Promise.all([back, reconnected]), 5000, 'the recovery');
    assert.equal(r.recovered, true);
    assert.equal(c.recovered, true);
    assert.equal(r.id, s.id);
    assert.equal(r.data.name, 'x');
    assert.deepEqual([...r.data.bin], [1, 2]);
    await t.stop();
  });

  test(`${label}: the server's EventEmitter methods are the main namespace's`, async () => {
    const t = start();
    const main = t.srv.of('/');
    const fn = () => {};
    t.srv.on('custom', fn);
    assert.deepEqual(main.listeners('custom'), [fn]);
    main.off('custom', fn);
    assert.equal(t.srv.listenerCount('custom'), 0);
    const created = once(main, 'new_namespace');
    t.srv.of('/fresh');
    const [nsp] = await bounded(created);
    assert.equal(nsp.name, '/fresh');
    await t.stop();
  });

  test(`${label}: io.close() and the client's reconnection events`, async () => {
    const t = start();
    // WebSocket only: closing a polling connection between two polls is reported as
    // `transport error` or `transport close` depending on timing.
    const { c, s } = await pair(t, '', {
      transports: ['websocket'],
      reconnection: true,
      reconnectionAttempts: 2,
      reconnectionDelay: 10,
      reconnectionDelayMax: 20,
    });
    const sd = once(s, 'disconnect');
    const cd = once(c, 'disconnect');
    const attempts = [];
    c.io.on('reconnect_attempt', (n) => attempts.push(n));
    const errors = [];
    const twoErrors = new Promise((r) => c.io.on('reconnect_error', (e) => errors.push(e) === 2 && r()));
    const failed = once(c.io, 'reconnect_failed');
    await t.srv.close();
    assert.equal((await bounded(sd))[0], 'server shutting down');
    const [creason, details] = await bounded(cd);
    assert.equal(creason, 'transport close');
    assert.equal(details.description, 'websocket connection closed'); // socket.io-client's details
    await bounded(Promise.all([failed, twoErrors]), 10000, 'reconnect_failed');
    assert.deepEqual(attempts, [1, 2]);
    assert.equal(errors.length, 2);
    assert.ok(errors.every((e) => e instanceof Error));
    c.disconnect();
  });

  test(`${label}: client volatile emits are dropped while disconnected, others buffered`, async () => {
    const t = start();
    const got = [];
    // Listeners set in the connection handler itself: the buffered events may follow it
    // within the same read.
    const kept = new Promise((resolve) => {
      t.srv.once('connection', (s) => {
        s.onAny((name, ...args) => got.push([name, ...args]));
        s.on('sync', (ack) => ack());
        s.once('kept', resolve);
      });
    });
    // WebSocket only: socket.io-client also drops a volatile emit while a polling POST is
    // in flight (transport not writable), which timing alone decides.
    const c = t.connect('', { autoConnect: false, transports: ['websocket'] });
    c.volatile.emit('lost', 1);
    c.emit('kept', 2);
    c.connect();
    // The buffer is flushed at connect, in order: had 'lost' been kept, it came first.
    await bounded(kept, 5000, 'the buffered emit');
    c.volatile.emit('live', 3); // connected: sent
    await bounded(c.emitWithAck('sync'));
    assert.deepEqual(got.map((g) => g[0]), ['kept', 'live', 'sync']);
    assert.deepEqual([got[0][1], got[1][1]], [2, 3]);
    await t.stop();
  });

  test(`${label}: timeout(ms).volatile keeps both flags: dropped while disconnected, the callback times out`, async () => {
    const t = start();
    const got = [];
    const kept = new Promise((resolve) => {
      t.srv.once('connection', (s) => {
        s.onAny((name) => got.push(name));
        s.on('sync', (ack) => ack());
        s.once('kept', resolve);
      });
    });
    const c = t.connect('', { autoConnect: false, transports: ['websocket'] });
    const outcome = new Promise((resolve) => c.timeout(50).volatile.emit('lost', (err) => resolve(err)));
    const err = await bounded(outcome, 5000, 'the timed-out callback');
    assert.ok(err instanceof Error, 'the callback gets an error');
    c.emit('kept');
    c.connect();
    await bounded(kept, 5000, 'the buffered emit');
    await bounded(c.emitWithAck('sync'));
    assert.deepEqual(got, ['kept', 'sync'], 'the volatile emit was dropped, not buffered');
    await t.stop();
  });

  test(`${label}: compress(false) on either side: the event arrives as usual, flags chain`, async () => {
    const t = start();
    const { c, s } = await pair(t);
    const toClient = once(c, 'down');
    s.compress(false).emit('down', 1);
    assert.deepEqual(await bounded(toClient), [1]);
    const toServer = once(s, 'up');
    c.compress(false).emit('up', 2);
    assert.deepEqual(await bounded(toServer), [2]);
    s.on('ask', (cb) => cb('yes'));
    assert.equal(await bounded(c.compress(false).timeout(2000).emitWithAck('ask')), 'yes');
    c.on('ask', (cb) => cb('yes too'));
    assert.equal(await bounded(s.timeout(2000).compress(false).emitWithAck('ask')), 'yes too');
    await t.stop();
  });

  test(`${label}: socket.io.engine: transport and upgrade, packet, packetCreate, drain, close`, async () => {
    const t = start();
    const conn = once(t.srv, 'connection');
    const c = t.connect(); // the default transports: polling, then the upgrade
    const engine = c.io.engine;
    assert.ok(engine, 'socket.io.engine exists right after io()');
    assert.equal(engine.transport.name, 'polling');
    assert.equal(engine.readyState, 'opening');
    const opened = once(engine, 'open');
    const upgraded = once(engine, 'upgrade');
    const received = [];
    engine.on('packet', (p) => received.push(p));
    const [[s]] = await bounded(Promise.all([conn, once(c, 'connect'), opened]), 5000, 'connection');
    assert.equal(engine.id, s.conn.id);
    assert.equal(engine.readyState, 'open');
    const handshake = received.find((p) => p.type === 'open');
    assert.ok(handshake, 'the handshake is a packet');
    assert.equal(JSON.parse(handshake.data).sid, engine.id);
    const [transport] = await bounded(upgraded, 5000, 'upgrade');
    assert.equal(transport.name, 'websocket');
    assert.equal(engine.transport.name, 'websocket');
    assert.equal(engine.transport, transport, 'the upgrade gives the new transport');

    // Received: the server's event as a message packet (`2` EVENT), binary data as a Buffer.
    const textPacket = new Promise((r) => engine.on('packet', (p) => p.type === 'message' && p.data === '2["news","x"]' && r(p)));
    const binPacket = new Promise((r) => engine.on('packet', (p) => p.type === 'message' && typeof p.data !== 'string' && r(p)));
    s.emit('news', 'x');
    s.emit('bin', Buffer.from([7, 8]));
    assert.deepEqual(await bounded(textPacket, 5000, 'packet'), { type: 'message', data: '2["news","x"]' });
    const bin = await bounded(binPacket, 5000, 'binary packet');
    assert.ok(Buffer.isBuffer(bin.data));
    assert.deepEqual([...bin.data], [7, 8]);
    assert.ok(received.some((p) => p.type === 'message' && p.data === '51-["bin",{"_placeholder":true,"num":0}]'));

    // About to be sent: the client's emit, with its send options; then the buffer drains.
    const created = new Promise((r) => engine.on('packetCreate', (p) => p.type === 'message' && p.data === '2["hello",1]' && r(p)));
    const drained = once(engine, 'drain');
    c.emit('hello', 1);
    assert.deepEqual(await bounded(created, 5000, 'packetCreate'), { type: 'message', data: '2["hello",1]', options: { compress: true } });
    await bounded(drained, 5000, 'drain');

    // The last socket's disconnect() closes the connection: `forced close`.
    const closed = new Promise((r) => engine.on('close', (reason) => r([reason, engine.readyState])));
    c.disconnect();
    assert.deepEqual(await bounded(closed, 5000, 'close'), ['forced close', 'closed']);
    assert.ok(!engine.id);
    await t.stop();
  });

  test(`${label}: reserved event names throw`, async () => {
    const t = start();
    const { c, s } = await pair(t);
    for (const name of ['connect', 'disconnect', 'disconnecting', 'connect_error']) {
      assert.throws(() => s.emit(name), /reserved event name/);
      assert.throws(() => c.emit(name), /reserved event name/);
    }
    assert.throws(() => t.srv.emit('connect'), /reserved event name/);
    await t.stop();
  });
}

module.exports = { run, once, bounded };
