'use strict';
// socket.conn, the Engine.IO connection under a server socket: `upgrade`, `packet`,
// `packetCreate`, `drain` and `close` as engine.io emits them. Run against the official
// server too: both must report the same packets.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const sio = require('..');
const official = require('socket.io');
const officialClient = require('socket.io-client');
const { once, bounded } = require('./suite');

const messages = (packets) => packets.filter((p) => p.type === 'message');

for (const [label, Impl] of [
  ['sio server', sio.Server],
  ['official server', official.Server],
]) {
  for (const [clientLabel, io] of [
    ['official client', officialClient.io],
    ['sio client', sio.io],
  ]) {
    test(`${label} + ${clientLabel}: socket.conn emits upgrade, packet, packetCreate, drain and close`, async (t) => {
      const srv = new Impl(0);
      t.after(() => srv.close());
      const url = `http://127.0.0.1:${srv.httpServer.address().port}`;
      const engineConn = once(srv.engine, 'connection');
      const conn = once(srv, 'connection');
      const c = io(url, { forceNew: true, reconnection: false });
      t.after(() => c.disconnect());
      const [[ec], [s]] = await bounded(Promise.all([engineConn, conn]));
      assert.equal(s.conn, ec, 'socket.conn is the connection io.engine announced');
      if (s.conn.transport.name !== 'websocket') {
        assert.equal((await bounded(once(s.conn, 'upgrade'), 5000, 'upgrade'))[0].name, 'websocket');
      }
      assert.equal(s.conn.transport.name, 'websocket');

      const received = [];
      const created = [];
      s.conn.on('packet', (p) => received.push(p));
      s.conn.on('packetCreate', (p) => created.push(p));

      const got = once(s, 'hello');
      c.emit('hello', 1, 'é');
      await bounded(got);
      assert.deepEqual(messages(received), [{ type: 'message', data: '2["hello",1,"é"]' }]);

      const pushed = once(c, 'push');
      const drained = once(s.conn, 'drain');
      s.emit('push', { x: 1 });
      await bounded(Promise.all([pushed, drained]), 5000, 'push and drain');
      assert.deepEqual(messages(created), [{ type: 'message', data: '2["push",{"x":1}]', options: { compress: true } }]);

      // Binary: the placeholder packet, then the attachment as a Buffer.
      const bin = once(s, 'bin');
      c.emit('bin', Buffer.from([7, 8]));
      await bounded(bin);
      const [head, attachment] = messages(received).slice(1);
      assert.equal(head.data, '51-["bin",{"_placeholder":true,"num":0}]');
      assert.ok(Buffer.isBuffer(attachment.data) && attachment.data.equals(Buffer.from([7, 8])));

      const closed = once(s.conn, 'close');
      c.disconnect();
      assert.equal((await bounded(closed, 5000, 'close'))[0], 'transport close');
    });
  }
}

for (const [label, Impl] of [
  ['sio server', sio.Server],
  ['official server', official.Server],
]) {
  test(`${label}: an acknowledgement is answered once, however often its function is called`, async (t) => {
    const srv = new Impl(0);
    t.after(() => srv.close());
    const url = `http://127.0.0.1:${srv.httpServer.address().port}`;
    const conn = once(srv, 'connection');
    const c = officialClient.io(url, { forceNew: true, reconnection: false, transports: ['websocket'] });
    t.after(() => c.disconnect());
    const [s] = await bounded(conn);
    const created = [];
    // Packets are reported in the order they are queued: once the second answer (id 1)
    // is seen, a duplicate of the first would have been seen before it.
    const synced = new Promise((resolve) => {
      s.conn.on('packetCreate', (p) => {
        created.push(p);
        if (p.data === '31[]') resolve();
      });
    });
    s.on('twice', (ack) => {
      ack('first');
      ack('second');
    });
    s.on('sync', (ack) => ack());
    assert.equal(await bounded(c.emitWithAck('twice')), 'first');
    await bounded(c.emitWithAck('sync'));
    await bounded(synced, 5000, 'the second answer reported');
    assert.deepEqual(messages(created).map((p) => p.data), ['30["first"]', '31[]']);
  });
}
