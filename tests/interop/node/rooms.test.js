// Rooms and broadcasting: join/leave, to-room, broadcast, broadcast-room, except-room, fetch, sockets-join, fetch-join.
//
// "X does not receive E" is checked without sleeping: after the emission under test, a barrier
// event is sent to every client through the same sender (packets of one socket are handled in
// order and delivered in order per connection), so when a client has seen the barrier it would
// already have seen E.
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, emitAck, record } from "./helpers.js";

async function clients(h, url, n, opts = { transports: ["websocket"] }, nsp = "/") {
  const cs = Array.from({ length: n }, () => h.client(url, opts, nsp));
  await Promise.all(cs.map((c) => c.welcome));
  return cs.map((c) => c.socket);
}

/** Everyone (sender included) receives "barrier" once the server has processed what was sent before. */
async function barrier(sender, all, tag) {
  const recs = all.map((s) => record(s, `barrier-${tag}`));
  const [rooms] = await emitAck(sender, 3000, "join", `all-${tag}`); // ensure sender is in the room
  assert.ok(rooms.includes(`all-${tag}`));
  await Promise.all(all.filter((s) => s !== sender).map((s) => emitAck(s, 3000, "join", `all-${tag}`)));
  sender.emit("to-room", `all-${tag}`, `barrier-${tag}`);
  await Promise.all(recs.map((r) => r.count(1, 3000)));
}

test("join / leave ack with the sorted rooms", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const [s] = await clients(h, srv.url, 1);
  assert.deepEqual(await emitAck(s, 3000, "join", "zeta"), [[s.id, "zeta"].sort()]);
  assert.deepEqual(await emitAck(s, 3000, "join", "alpha"), [[s.id, "alpha", "zeta"].sort()]);
  assert.deepEqual(await emitAck(s, 3000, "join", "alpha"), [[s.id, "alpha", "zeta"].sort()], "joining twice is idempotent");
  assert.deepEqual(await emitAck(s, 3000, "leave", "zeta"), [[s.id, "alpha"].sort()]);
  assert.deepEqual(await emitAck(s, 3000, "leave", "not-joined"), [[s.id, "alpha"].sort()]);
  assert.deepEqual(await emitAck(s, 3000, "leave", "alpha"), [[s.id]]);
});

test("to-room reaches room members only (sender included when in the room)", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const [a, b, c] = await clients(h, srv.url, 3);
  await emitAck(a, 3000, "join", "r1");
  await emitAck(c, 3000, "join", "r1");
  const ra = record(a, "news"), rb = record(b, "news"), rc = record(c, "news");
  a.emit("to-room", "r1", "news", 1, { two: 2 });
  await ra.count(1);
  await rc.count(1); // different senders: no cross-connection order, so one after the other
  b.emit("to-room", "r1", "news", "from-b"); // b is not in r1 but may still send to it
  await ra.count(2);
  await rc.count(2);
  await barrier(b, [a, b, c], "t1");
  assert.deepEqual(ra.seen, [[1, { two: 2 }], ["from-b"]]);
  assert.deepEqual(rc.seen, [[1, { two: 2 }], ["from-b"]]);
  assert.deepEqual(rb.seen, [], "b is not in r1");
  // to a socket id (every socket is in the room named after its id)
  const direct = record(b, "direct");
  a.emit("to-room", b.id, "direct", "hi b");
  assert.deepEqual(await direct.count(1), [["hi b"]]);
});

test("broadcast reaches everyone in the namespace but the sender", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const [a, b, c] = await clients(h, srv.url, 3);
  // a client in another namespace must not receive it either
  const [other] = await clients(h, srv.url, 1, { transports: ["websocket"] }, "/dyn-1");
  const ra = record(a, "hello"), rb = record(b, "hello"), rc = record(c, "hello"), ro = record(other, "hello");
  a.emit("broadcast", "hello", "world", 2);
  assert.deepEqual(await rb.count(1), [["world", 2]]);
  assert.deepEqual(await rc.count(1), [["world", 2]]);
  // a round trip on the sender's socket: a broadcast to a would have arrived before this ack
  assert.equal(await a.timeout(3000).emitWithAck("echo", "sync"), "sync");
  assert.deepEqual(ra.seen, [], "the sender is excluded");
  const ob = record(other, "barrier");
  other.emit("to-room", other.id, "barrier");
  await ob.count(1);
  assert.deepEqual(ro.seen, [], "other namespaces are not reached");
});

test("broadcast-room reaches room members except the sender", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const [a, b, c] = await clients(h, srv.url, 3);
  for (const s of [a, b]) await emitAck(s, 3000, "join", "r2");
  const ra = record(a, "ev"), rb = record(b, "ev"), rc = record(c, "ev");
  a.emit("broadcast-room", "r2", "ev", "x", [1]);
  assert.deepEqual(await rb.count(1), [["x", [1]]]);
  await barrier(a, [a, b, c], "t2");
  assert.deepEqual(ra.seen, [], "sender excluded although in the room");
  assert.deepEqual(rc.seen, [], "non-member excluded");
});

test("except-room reaches everyone but the members of the room", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const [a, b, c, d] = await clients(h, srv.url, 4);
  for (const s of [b, c]) await emitAck(s, 3000, "join", "muted");
  const recs = [a, b, c, d].map((s) => record(s, "ev"));
  a.emit("except-room", "muted", "ev", "not for muted");
  assert.deepEqual(await recs[0].count(1), [["not for muted"]], "sender included when not in the room");
  assert.deepEqual(await recs[3].count(1), [["not for muted"]]);
  await barrier(a, [a, b, c, d], "t3");
  assert.deepEqual(recs[1].seen, []);
  assert.deepEqual(recs[2].seen, []);
  // sender in the excepted room is excluded too
  b.emit("except-room", "muted", "ev", "second");
  assert.deepEqual(await recs[0].count(2), [["not for muted"], ["second"]]);
  assert.deepEqual(await recs[3].count(2), [["not for muted"], ["second"]]);
  await barrier(b, [a, b, c, d], "t4");
  assert.deepEqual(recs[1].seen, []);
});

test("fetch lists every socket with sorted rooms and the data set by set-data", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const [a, b] = await clients(h, srv.url, 2);
  assert.deepEqual(await emitAck(a, 3000, "set-data", { user: "alice", n: [1, 2] }), [true]);
  await emitAck(a, 3000, "join", "room-b");
  await emitAck(a, 3000, "join", "room-a");
  const [list] = await emitAck(b, 3000, "fetch");
  const expected = [
    { id: a.id, rooms: [a.id, "room-a", "room-b"].sort(), data: { user: "alice", n: [1, 2] } },
    { id: b.id, rooms: [b.id], data: null },
  ].sort((x, y) => (x.id < y.id ? -1 : 1));
  assert.equal(list.length, 2);
  assert.deepEqual(list.map((s) => s.id), expected.map((s) => s.id), "sorted by id");
  const byId = Object.fromEntries(list.map((s) => [s.id, s]));
  assert.deepEqual(byId[a.id].rooms, expected.find((s) => s.id === a.id).rooms);
  assert.deepEqual(byId[a.id].data, { user: "alice", n: [1, 2] });
  assert.deepEqual(byId[b.id].rooms, [b.id]);
  // data never set: the reference server reports {} (socket.data starts as an empty object)
  assert.ok(byId[b.id].data === null || (typeof byId[b.id].data === "object" && Object.keys(byId[b.id].data).length === 0),
    `unset data is {} or null: ${JSON.stringify(byId[b.id].data)}`);
  // set-data replaces, any JSON value
  await emitAck(a, 3000, "set-data", "just a string");
  const [list2] = await emitAck(a, 3000, "fetch");
  assert.equal(list2.find((s) => s.id === a.id).data, "just a string");
  // fetch is per namespace
  const [d] = await clients(h, srv.url, 1, { transports: ["websocket"] }, "/dyn-5");
  const [list3] = await emitAck(d, 3000, "fetch");
  assert.deepEqual(list3.map((s) => s.id), [d.id]);
});

for (const op of ["sockets-join", "fetch-join"]) {
  test(`${op} makes every socket of the namespace join the room`, async (t) => {
    const h = harness(t);
    const srv = await h.server();
    const [a, b, c] = await clients(h, srv.url, 3);
    const [d] = await clients(h, srv.url, 1, { transports: ["websocket"] }, "/dyn-9");
    assert.deepEqual(await emitAck(a, 3000, op, "everyone"), [true]);
    const [list] = await emitAck(c, 3000, "fetch");
    for (const s of [a, b, c]) {
      assert.deepEqual(list.find((x) => x.id === s.id)?.rooms, [s.id, "everyone"].sort(), `${s.id} joined`);
    }
    const [dList] = await emitAck(d, 3000, "fetch");
    assert.deepEqual(dList[0].rooms, [d.id], "other namespace untouched");
    // the room is live for emission
    const recs = [a, b, c].map((s) => record(s, "all"));
    b.emit("to-room", "everyone", "all", op);
    for (const r of recs) assert.deepEqual(await r.count(1), [[op]]);
    // the join ack of a member now lists the room
    assert.deepEqual(await emitAck(b, 3000, "join", "x"), [[b.id, "everyone", "x"].sort()]);
  });
}

test("rooms are per namespace: a room in /dyn-3 does not leak into /", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const [root] = await clients(h, srv.url, 1);
  const [dyn] = await clients(h, srv.url, 1, { transports: ["websocket"] }, "/dyn-3");
  await emitAck(root, 3000, "join", "shared-name");
  await emitAck(dyn, 3000, "join", "shared-name");
  const rr = record(root, "ev"), rd = record(dyn, "ev");
  dyn.emit("to-room", "shared-name", "ev", "dyn only");
  assert.deepEqual(await rd.count(1), [["dyn only"]]);
  const rb = record(root, "barrier");
  root.emit("to-room", "shared-name", "barrier");
  await rb.count(1);
  assert.deepEqual(rr.seen, []);
});
