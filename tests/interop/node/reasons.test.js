// Disconnect reasons, client side (socket.io-client) and server side (JSON log lines), with the
// client's reconnection rule for each (socket.active).
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, nextEvent, emitAck, withTimeout } from "./helpers.js";

const TRANSPORTS = [
  ["polling", { transports: ["polling"] }],
  ["websocket", { transports: ["websocket"] }],
];

const logFor = (srv, ev, id, ms = 3000) =>
  srv.waitForLog((l) => l.ev === ev && l.id === id, ms, `${ev} of ${id}`);

for (const [name, opts] of TRANSPORTS) {
  test(`[${name}] io server disconnect (disconnect-me): no reconnection; server: server namespace disconnect`, async (t) => {
    const h = harness(t);
    const srv = await h.server();
    const { socket, welcome } = h.client(srv.url, opts);
    await welcome;
    const id = socket.id;
    await emitAck(socket, 3000, "join", "kept-room");
    let attempts = 0;
    socket.io.on("reconnect_attempt", () => attempts++);
    const down = nextEvent(socket, "disconnect", 3000);
    socket.emit("disconnect-me");
    const [reason] = await down;
    assert.equal(reason, "io server disconnect");
    assert.equal(socket.active, false, "io server disconnect does not reconnect");
    assert.equal(socket.connected, false);
    const disconnecting = await logFor(srv, "disconnecting", id);
    assert.equal(disconnecting.reason, "server namespace disconnect");
    assert.equal(disconnecting.ns, "/");
    assert.deepEqual([...disconnecting.rooms].sort(), [id, "kept-room"].sort(), "disconnecting lists the rooms still joined");
    const disconnect = await logFor(srv, "disconnect", id);
    assert.deepEqual(disconnect, { ev: "disconnect", ns: "/", id, reason: "server namespace disconnect" });
    assert.ok(srv.logs.indexOf(disconnecting) < srv.logs.indexOf(disconnect), "disconnecting is logged before disconnect");
    assert.equal(attempts, 0);
    // the client can reconnect by hand
    const again = nextEvent(socket, "welcome", 5000, { rejectOn: ["connect_error"] });
    socket.connect();
    const [w] = await again;
    assert.notEqual(w.id, id, "a new session gets a new id");
    assert.equal(w.id, socket.id);
  });

  test(`[${name}] io client disconnect: no reconnection; server: client namespace disconnect`, async (t) => {
    const h = harness(t);
    const srv = await h.server();
    const { socket, welcome } = h.client(srv.url, opts);
    await welcome;
    const id = socket.id;
    await emitAck(socket, 3000, "join", "r-a");
    await emitAck(socket, 3000, "join", "r-b");
    const down = nextEvent(socket, "disconnect", 3000);
    socket.disconnect();
    const [reason] = await down;
    assert.equal(reason, "io client disconnect");
    assert.equal(socket.active, false);
    const disconnecting = await logFor(srv, "disconnecting", id);
    assert.equal(disconnecting.reason, "client namespace disconnect");
    assert.deepEqual([...disconnecting.rooms].sort(), [id, "r-a", "r-b"].sort());
    const disconnect = await logFor(srv, "disconnect", id);
    assert.equal(disconnect.reason, "client namespace disconnect");
  });
}

test("client namespace disconnect on one namespace keeps the other namespace of the connection", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const manager = h.manager(srv.url, { transports: ["websocket"] });
  const root = h.track(manager.socket("/"));
  const dyn = h.track(manager.socket("/dyn-8"));
  await Promise.all([nextEvent(root, "welcome"), nextEvent(dyn, "welcome")]);
  const dynId = dyn.id;
  dyn.disconnect();
  const log = await logFor(srv, "disconnect", dynId);
  assert.equal(log.reason, "client namespace disconnect");
  assert.equal(log.ns, "/dyn-8");
  assert.equal(await root.timeout(3000).emitWithAck("echo", "alive"), "alive");
  assert.equal(root.connected, true);
});

test("transport close: server killed (SIGKILL), client reconnects to a new server on the same port", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  const [w1] = await welcome;
  const attempt = nextEvent(socket.io, "reconnect_attempt", 5000);
  const down = nextEvent(socket, "disconnect", 5000);
  srv.kill("SIGKILL");
  const [reason] = await down;
  assert.equal(reason, "transport close");
  assert.equal(socket.active, true, "transport close reconnects");
  const [n] = await attempt;
  assert.equal(typeof n, "number");
  const reconnected = nextEvent(socket.io, "reconnect", 10000);
  const welcome2 = nextEvent(socket, "welcome", 10000);
  const order = [];
  socket.io.on("reconnect_attempt", () => order.push("attempt"));
  socket.io.on("reconnect", () => order.push("reconnect"));
  await srv.exited;
  const srv2 = await h.server([], { port: srv.port });
  await reconnected;
  const [w2] = await welcome2;
  assert.equal(socket.connected, true);
  assert.notEqual(w2.id, w1.id);
  assert.equal(w2.id, socket.id);
  assert.equal(order[order.length - 1], "reconnect");
  assert.ok(order.length === 1 || order[order.length - 2] === "attempt", JSON.stringify(order));
  await logFor(srv2, "connection", socket.id);
});

test("transport error/close: server killed during a polling cycle, client reconnects", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["polling"] });
  await welcome;
  const down = nextEvent(socket, "disconnect", 5000);
  srv.kill("SIGKILL");
  const [reason] = await down;
  assert.ok(["transport error", "transport close"].includes(reason), `reason ${reason}`);
  assert.equal(socket.active, true);
  await srv.exited;
  const reconnected = nextEvent(socket.io, "reconnect", 10000);
  const welcome2 = nextEvent(socket, "welcome", 10000);
  await h.server([], { port: srv.port });
  await reconnected;
  await welcome2;
  assert.equal(socket.connected, true);
});

test("ping timeout (client side): server frozen with SIGSTOP; reconnects after SIGCONT", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--ping-interval", "300", "--ping-timeout", "200"]);
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  // the server's pings keep the session alive well past pingInterval + pingTimeout
  await nextEvent(socket.io, "ping", 2000);
  await nextEvent(socket.io, "ping", 2000);
  const down = nextEvent(socket, "disconnect", 5000);
  const start = Date.now();
  srv.kill("SIGSTOP");
  let reason;
  try {
    [reason] = await down;
  } finally {
    srv.kill("SIGCONT");
  }
  const elapsed = Date.now() - start;
  assert.equal(reason, "ping timeout");
  assert.ok(elapsed < 2000, `ping timeout after ${elapsed} ms (interval 300 + timeout 200)`);
  assert.equal(socket.active, true, "ping timeout reconnects");
  await nextEvent(socket, "welcome", 10000);
  assert.equal(socket.connected, true);
});

test("ping timeout (server side): a raw websocket peer that never answers pings", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--ping-interval", "300", "--ping-timeout", "200"]);
  const raw = h.raw(srv.url);
  const open = JSON.parse((await raw.next((m) => m.startsWith("0"), 3000, "open")).slice(1));
  assert.equal(open.pingInterval, 300);
  assert.equal(open.pingTimeout, 200);
  raw.send("40");
  const connect = await raw.next((m) => m.startsWith("40"), 3000, "CONNECT ack");
  const { sid } = JSON.parse(connect.slice(2));
  assert.equal(typeof sid, "string");
  const welcomeFrame = await raw.next((m) => m.startsWith("42"), 3000, "welcome");
  const [ev, payload] = JSON.parse(welcomeFrame.slice(2));
  assert.equal(ev, "welcome");
  assert.equal(payload.id, sid);
  await raw.next((m) => m === "2", 2000, "a PING");
  const start = Date.now();
  const log = await logFor(srv, "disconnect", sid, 4000);
  assert.equal(log.reason, "ping timeout");
  assert.ok(Date.now() - start < 3000);
  await withTimeout(raw.closed, 3000, "server closing the websocket");
  const dis = srv.logs.find((l) => l.ev === "disconnecting" && l.id === sid);
  assert.equal(dis?.reason, "ping timeout");
});

test("pong answered: a raw websocket peer answering pings stays connected past several intervals", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--ping-interval", "200", "--ping-timeout", "150"]);
  const raw = h.raw(srv.url);
  await raw.next((m) => m.startsWith("0"), 3000, "open");
  let pings = 0;
  let closed = false;
  raw.closed.then(() => { closed = true; });
  raw.ws.on("message", (d) => { if (d.toString() === "2") { pings++; raw.send("3"); } });
  raw.send("40");
  const connect = await raw.next((m) => m.startsWith("40"), 3000, "CONNECT ack");
  const { sid } = JSON.parse(connect.slice(2));
  // wait for 6 pings (~1.2 s, more than 3x interval+timeout) by counting frames
  await withTimeout(new Promise((resolve) => {
    const on = (d) => { if (d.toString() === "2" && pings >= 6) { raw.ws.off("message", on); resolve(); } };
    raw.ws.on("message", on);
  }), 5000, "6 pings");
  assert.equal(closed, false);
  assert.equal(srv.logs.some((l) => l.ev === "disconnect" && l.id === sid), false);
});

test("transport close (server side): client engine closed abruptly; client reason and reconnection", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  const id = socket.id;
  await emitAck(socket, 3000, "join", "r9");
  const down = nextEvent(socket, "disconnect", 3000);
  socket.io.engine.close();
  const [reason] = await down;
  // socket.io-client: engine.close() emits "close" with "forced close", the Manager reconnects
  assert.equal(reason, "forced close");
  assert.equal(socket.active, true);
  const dis = await logFor(srv, "disconnecting", id);
  assert.equal(dis.reason, "transport close");
  assert.deepEqual([...dis.rooms].sort(), [id, "r9"].sort());
  assert.equal((await logFor(srv, "disconnect", id)).reason, "transport close");
  const [w] = await nextEvent(socket, "welcome", 5000);
  assert.equal(w.recovered, false, "no recovery without --recovery");
  assert.notEqual(w.id, id);
});

test("close-me (socket.disconnect(true)): client io server disconnect, server server namespace disconnect", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  const id = socket.id;
  const engineClosed = nextEvent(socket.io.engine, "close", 3000);
  const down = nextEvent(socket, "disconnect", 3000);
  socket.emit("close-me");
  const [reason] = await down;
  assert.equal(reason, "io server disconnect");
  assert.equal(socket.active, false);
  await engineClosed; // the whole Engine.IO connection is closed
  assert.equal((await logFor(srv, "disconnect", id)).reason, "server namespace disconnect");
});

test("disconnect-all: every socket of the namespace gets io server disconnect", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const cs = [h.client(srv.url, { transports: ["websocket"] }), h.client(srv.url, { transports: ["polling"] })];
  const other = h.client(srv.url, { transports: ["websocket"] }, "/dyn-2");
  await Promise.all([...cs.map((c) => c.welcome), other.welcome]);
  const downs = cs.map((c) => nextEvent(c.socket, "disconnect", 3000));
  const ids = cs.map((c) => c.socket.id);
  cs[0].socket.emit("disconnect-all", () => {});
  const reasons = (await Promise.all(downs)).map(([r]) => r);
  assert.deepEqual(reasons, ["io server disconnect", "io server disconnect"]);
  assert.ok(cs.every((c) => c.socket.active === false));
  for (const id of ids) assert.equal((await logFor(srv, "disconnect", id)).reason, "server namespace disconnect");
  // other namespace untouched
  assert.equal(await other.socket.timeout(3000).emitWithAck("echo", "ok"), "ok");
});

test("reasons ack: the server reports every disconnect with its rooms at disconnecting", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const a = h.client(srv.url, { transports: ["websocket"] });
  const b = h.client(srv.url, { transports: ["websocket"] });
  const observer = h.client(srv.url, { transports: ["websocket"] });
  await Promise.all([a.welcome, b.welcome, observer.welcome]);
  const aId = a.socket.id, bId = b.socket.id;
  await emitAck(a.socket, 3000, "join", "ra");
  await emitAck(b.socket, 3000, "join", "rb");
  a.socket.disconnect();
  b.socket.emit("disconnect-me");
  await logFor(srv, "disconnect", aId);
  await logFor(srv, "disconnect", bId);
  const [list] = await emitAck(observer.socket, 3000, "reasons");
  assert.ok(Array.isArray(list));
  const ra = list.find((r) => r.id === aId);
  const rb = list.find((r) => r.id === bId);
  assert.deepEqual({ ...ra, rooms_at_disconnecting: [...ra.rooms_at_disconnecting].sort() },
    { id: aId, ns: "/", reason: "client namespace disconnect", rooms_at_disconnecting: [aId, "ra"].sort() });
  assert.deepEqual({ ...rb, rooms_at_disconnecting: [...rb.rooms_at_disconnecting].sort() },
    { id: bId, ns: "/", reason: "server namespace disconnect", rooms_at_disconnecting: [bId, "rb"].sort() });
});

test("server shutting down: shutdown closes every socket and the process exits 0", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const ws = h.client(srv.url, { transports: ["websocket"] });
  const poll = h.client(srv.url, { transports: ["polling"] });
  const dyn = h.client(srv.url, { transports: ["websocket"] }, "/dyn-4");
  await Promise.all([ws.welcome, poll.welcome, dyn.welcome]);
  await emitAck(ws.socket, 3000, "join", "last-room");
  const ids = [ws.socket.id, poll.socket.id, dyn.socket.id];
  const downs = [ws, poll, dyn].map((c) => nextEvent(c.socket, "disconnect", 5000));
  ws.socket.emit("shutdown");
  const reasons = (await Promise.all(downs)).map(([r]) => r);
  // what socket.io-client reports against the reference server (io.close() sends no DISCONNECT
  // packet; the Engine.IO connection is closed): transport close, and it tries to reconnect.
  // Over polling the process may exit before the next poll completes: "transport error".
  assert.equal(reasons[0], "transport close", "websocket");
  assert.ok(["transport close", "transport error"].includes(reasons[1]), `polling: ${reasons[1]}`);
  assert.equal(reasons[2], "transport close", "websocket, /dyn-4");
  assert.ok([ws, poll, dyn].every((c) => c.socket.active === true));
  const exit = await withTimeout(srv.exited, 5000, "server process exit after shutdown");
  assert.deepEqual(exit, { code: 0, signal: null });
  for (const id of ids) {
    const dis = srv.logs.find((l) => l.ev === "disconnecting" && l.id === id);
    assert.equal(dis?.reason, "server shutting down", `disconnecting of ${id}: ${JSON.stringify(dis)}`);
    const d = srv.logs.find((l) => l.ev === "disconnect" && l.id === id);
    assert.equal(d?.reason, "server shutting down", `disconnect of ${id}: ${JSON.stringify(d)}`);
  }
  const dis = srv.logs.find((l) => l.ev === "disconnecting" && l.id === ids[0]);
  assert.ok(dis.rooms.includes("last-room"));
});
