// The admin UI's server instrumentation (@socket.io/admin-ui's `instrument`), read by
// socket.io-client as the UI reads it: the events and payload shapes of its namespace, its
// commands and its basic auth. The interop server instruments `/ui-admin` with --admin-ui
// (tests/interop/CONTRACT.md); runs against reference-server.js too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, io, nextEvent, record, withTimeout } from "./helpers.js";

const ADMIN = "/ui-admin";
const ALL_FEATURES = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"];

/** An admin socket (as the UI opens it) with its events recorded from the start. */
function admin(h, url, opts = {}) {
  const socket = h.track(io(url + ADMIN, { forceNew: true, reconnection: false, ...opts }));
  const rec = {};
  for (const ev of ["config", "all_sockets", "server_stats", "session", "socket_connected", "socket_updated",
    "socket_disconnected", "room_joined", "room_left", "event_received", "event_sent"]) {
    rec[ev] = record(socket, ev);
  }
  return { socket, rec };
}

const isDate = (x) => typeof x === "string" && !Number.isNaN(Date.parse(x));

/** Waits for an event of `r` whose arguments satisfy `pred`. */
async function until(r, pred, what, ms = 5000) {
  const deadline = Date.now() + ms;
  for (let n = 1; ; n++) {
    const seen = await r.count(n, Math.max(1, deadline - Date.now())).catch(() => {
      throw new Error(`no ${what} (got ${JSON.stringify(r.seen)})`);
    });
    if (pred(seen[n - 1])) return seen[n - 1];
  }
}

function assertSerialized(s, { id, nsp, engineId }) {
  assert.equal(s.id, id);
  assert.equal(s.nsp, nsp);
  assert.equal(s.clientId, engineId.slice(0, 12));
  assert.ok(["polling", "websocket"].includes(s.transport), s.transport);
  assert.deepEqual(s.data, {});
  assert.ok(s.rooms.includes(id), JSON.stringify(s.rooms));
  assert.deepEqual(Object.keys(s.handshake).sort(), ["address", "headers", "issued", "query", "secure", "time", "url", "xdomain"]);
  assert.equal(typeof s.handshake.headers, "object");
  assert.equal(s.handshake.query.EIO, "4");
  assert.equal(typeof s.handshake.issued, "number");
  assert.equal(s.handshake.secure, false);
}

test("config, all_sockets and server_stats as the reference sends them", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--admin-ui", "--admin-ui-server-id", "node-1"]);
  const { socket: client, welcome } = h.client(srv.url);
  await welcome;
  const { socket, rec } = admin(h, srv.url);
  const [[config]] = await rec.config.count(1);
  assert.deepEqual(config, { supportedFeatures: ALL_FEATURES });
  const [[all]] = await rec.all_sockets.count(1);
  const mine = all.find((s) => s.id === client.id);
  assert.ok(mine, `the client ${client.id} is listed: ${JSON.stringify(all)}`);
  assertSerialized(mine, { id: client.id, nsp: "/", engineId: client.io.engine.id });
  assert.ok(all.some((s) => s.id === socket.id && s.nsp === ADMIN), "the admin socket itself is listed");

  const [[stats]] = await rec.server_stats.count(1, 5000);
  assert.equal(stats.serverId, "node-1");
  assert.equal(typeof stats.hostname, "string");
  assert.equal(typeof stats.pid, "number");
  assert.equal(typeof stats.uptime, "number");
  assert.equal(stats.clientsCount, 2);
  assert.equal(typeof stats.pollingClientsCount, "number");
  assert.ok(Array.isArray(stats.aggregatedEvents));
  for (const e of stats.aggregatedEvents) {
    assert.equal(typeof e.timestamp, "number");
    assert.equal(e.timestamp % 1000, 0, "aggregated per second");
    assert.ok(["rawConnection", "rawDisconnection", "packetsIn", "packetsOut", "bytesIn", "bytesOut"].includes(e.type), e.type);
    assert.ok(e.count >= 1);
  }
  const byName = Object.fromEntries(stats.namespaces.map((n) => [n.name, n.socketsCount]));
  assert.equal(byName["/"], 1);
  assert.equal(byName[ADMIN], 1);
});

test("development mode: connections, rooms, events and disconnections, live", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--admin-ui"]);
  const { rec } = admin(h, srv.url);
  await rec.config.count(1);
  const { socket: client, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  const id = client.id;
  const [serialized, at] = await until(rec.socket_connected, ([s]) => s.id === id, "socket_connected");
  assertSerialized(serialized, { id, nsp: "/", engineId: client.io.engine.id });
  assert.ok(isDate(at));
  await until(rec.event_sent, ([nsp, sid, args, date]) => nsp === "/" && sid === id && args[0] === "welcome" && isDate(date), "event_sent welcome");

  client.emit("join", "room-1", () => {});
  const joined = await until(rec.room_joined, ([, room]) => room === "room-1", "room_joined");
  assert.deepEqual(joined.slice(0, 3), ["/", "room-1", id]);
  assert.ok(isDate(joined[3]));
  const received = await until(rec.event_received, ([, , args]) => args[0] === "join", "event_received join");
  assert.deepEqual(received.slice(0, 3), ["/", id, ["join", "room-1"]], "the ack callback is not part of the args");

  client.emit("echo", "hi", 2);
  await until(rec.event_sent, ([, sid, args]) => sid === id && JSON.stringify(args) === '["echo","hi",2]', "event_sent echo");
  client.emit("leave", "room-1", () => {});
  await until(rec.room_left, ([nsp, room, sid]) => nsp === "/" && room === "room-1" && sid === id, "room_left");

  // A namespace created after instrument (a dynamic one) is watched too.
  const { socket: dyn, welcome: dynWelcome } = h.client(srv.url, {}, "/dyn-42");
  await dynWelcome;
  const [dynSocket] = await until(rec.socket_connected, ([s]) => s.id === dyn.id, "socket_connected on /dyn-42");
  assert.equal(dynSocket.nsp, "/dyn-42");
  dyn.emit("join", "dyn-room", () => {});
  await until(rec.room_joined, ([nsp, room, sid]) => nsp === "/dyn-42" && room === "dyn-room" && sid === dyn.id, "room_joined on /dyn-42");
  const [stats] = await until(rec.server_stats, ([s]) => s.namespaces.some((n) => n.name === "/dyn-42"), "server_stats listing /dyn-42", 6000);
  assert.equal(stats.namespaces.find((n) => n.name === "/dyn-42").socketsCount, 1);

  client.disconnect();
  const gone = await until(rec.socket_disconnected, ([, sid]) => sid === id, "socket_disconnected");
  assert.deepEqual(gone.slice(0, 3), ["/", id, "client namespace disconnect"]);
  assert.ok(isDate(gone[3]));
});

test("the UI's commands: emit, join, leave and disconnect", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--admin-ui"]);
  const { socket, rec } = admin(h, srv.url);
  await rec.config.count(1);
  const { socket: client, welcome } = h.client(srv.url);
  await welcome;
  const id = client.id;

  const hello = nextEvent(client, "hello");
  socket.emit("emit", "/", id, "hello", { a: 1 }, "two");
  assert.deepEqual(await hello, [{ a: 1 }, "two"]);

  socket.emit("join", "/", "from-ui", id);
  await until(rec.room_joined, ([, room, sid]) => room === "from-ui" && sid === id, "room_joined from-ui");
  socket.emit("leave", "/", "from-ui", id);
  await until(rec.room_left, ([, room, sid]) => room === "from-ui" && sid === id, "room_left from-ui");

  const disconnected = nextEvent(client, "disconnect");
  socket.emit("_disconnect", "/", false, id);
  assert.equal((await disconnected)[0], "io server disconnect");
});

test("readonly and production modes announce fewer features and ignore commands", async (t) => {
  const h = harness(t);
  const ro = await h.server(["--admin-ui", "--admin-ui-readonly"]);
  const a = admin(h, ro.url);
  const [[config]] = await a.rec.config.count(1);
  assert.deepEqual(config.supportedFeatures, ["AGGREGATED_EVENTS", "ALL_EVENTS"]);
  const { socket: client, welcome } = h.client(ro.url);
  await welcome;
  let disconnected = false;
  client.on("disconnect", () => (disconnected = true));
  a.socket.emit("_disconnect", "/", false, client.id);
  // A round trip through the server after the command: it was handled (ignored) by then.
  await new Promise((resolve) => client.emit("join", "after", resolve));
  assert.equal(disconnected, false, "a read-only server ignores the UI's commands");

  const prod = await h.server(["--admin-ui", "--admin-ui-mode", "production"]);
  const p = admin(h, prod.url);
  const [[pconfig]] = await p.rec.config.count(1);
  assert.deepEqual(pconfig.supportedFeatures, ALL_FEATURES.slice(0, -1));
  await p.rec.server_stats.count(1, 5000);
  assert.equal(p.rec.all_sockets.seen.length, 0, "no socket details in production");
});

test("basic auth: credentials refused or accepted, then the session id", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--admin-ui", "--admin-ui-auth", "admin:changeit"]);
  const wrong = admin(h, srv.url, { auth: { username: "admin", password: "nope" } });
  const [err] = await nextEvent(wrong.socket, "connect_error");
  assert.equal(err.message, "invalid credentials");
  const none = admin(h, srv.url);
  assert.equal((await nextEvent(none.socket, "connect_error"))[0].message, "invalid credentials");

  const right = admin(h, srv.url, { auth: { username: "admin", password: "changeit" } });
  const [[sessionId]] = await right.rec.session.count(1);
  assert.match(sessionId, /^[0-9a-f]{16}$/);
  await right.rec.config.count(1);
  const again = admin(h, srv.url, { auth: { sessionId } });
  await withTimeout(again.rec.config.count(1), 5000, "config after reconnecting with the session id");
  assert.equal(again.rec.session.seen.length, 0, "no new session for a session id");
});
