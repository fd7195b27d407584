'use strict';
// 1,000 connect/disconnect cycles (addon server + addon client, one process): the
// handles in use go back to where they were and the memory stays bounded.
const { test } = require('node:test');
if (typeof global.gc !== 'function') require('node:v8').setFlagsFromString('--expose-gc');
global.gc = global.gc || require('node:vm').runInNewContext('gc');
const assert = require('node:assert/strict');
const sio = require('..');
const rt = require('../lib/runtime');
const { once, bounded } = require('./suite');

const CYCLES = 1000;

function resources() {
  const counts = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] || 0) + 1;
  return counts;
}

async function cycles(url, srv, n, refs = []) {
  for (let i = 0; i < n; i++) {
    // WebSocket only keeps a cycle to one TCP connection (the debug build is slow).
    const engineConn = once(srv.engine, 'connection');
    const c = sio.io(url, { forceNew: true, reconnection: false, transports: ['websocket'] });
    const [[s], , [conn]] = await bounded(Promise.all([once(srv, 'connection'), once(c, 'connect'), engineConn]), 10000, `cycle ${i}`);
    refs.push(new WeakRef(c), new WeakRef(s), new WeakRef(conn));
    const gone = once(s, 'disconnect');
    const cd = once(c, 'disconnect');
    const closed = once(conn, 'close');
    c.disconnect();
    await bounded(Promise.all([gone, cd, closed]), 10000, `disconnect ${i}`);
  }
}

test(`no leak over ${CYCLES} connect/disconnect cycles`, { timeout: 120000 }, async (t) => {
  const srv = new sio.Server(0);
  t.after(() => srv.close());
  const url = `http://127.0.0.1:${srv.httpServer.address().port}`;
  // Warm-up: allocator arenas, V8 heap pages, lazily created runtime state.
  await cycles(url, srv, CYCLES);
  global.gc();
  const before = { rss: process.memoryUsage().rss, res: resources() };
  const t0 = Date.now();
  const refs = [];
  await cycles(url, srv, CYCLES, refs);
  t.diagnostic(`${CYCLES} cycles in ${Date.now() - t0} ms`);
  await new Promise(setImmediate); // WeakRefs clear once the current job is over
  global.gc();
  const after = { rss: process.memoryUsage().rss, res: resources() };
  // A second measured phase: the allocator grows in steps of a few MiB at moments of its
  // own, so one phase alone can show a step; a leak shows in both.
  await cycles(url, srv, CYCLES);
  await new Promise(setImmediate);
  global.gc();
  const last = process.memoryUsage().rss;
  // Nothing of the finished connections stays registered...
  assert.equal(rt.clients.size, 0);
  assert.equal(rt.managers.size, 0);
  assert.equal(srv._sockets.size, 0);
  assert.equal(srv.sockets.sockets.size, 0);
  assert.equal(srv.engine.clients.size, 0);
  // ...no handle or timer is left behind...
  assert.deepEqual(after.res, before.res);
  // ...the sockets and connections of finished cycles are garbage...
  const alive = refs.filter((r) => r.deref() !== undefined).length;
  assert.ok(alive <= 6, `${alive} of ${refs.length} client sockets, server sockets and engine conns still alive`);
  // ...and the memory growth is bounded (a leak of 16 KiB a cycle would exceed it in both
  // phases; the allocator's steps of a few MiB land in one).
  const growth = Math.min(after.rss - before.rss, last - after.rss);
  t.diagnostic(`RSS ${(before.rss / 1048576).toFixed(1)} -> ${(after.rss / 1048576).toFixed(1)} -> ${(last / 1048576).toFixed(1)} MiB`);
  assert.ok(growth < 16 * 1024 * CYCLES, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB in each of two phases of ${CYCLES} cycles`);
});
