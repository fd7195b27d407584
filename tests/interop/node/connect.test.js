// Connecting with socket.io-client@4: transports, upgrade, welcome payload, multiplexing, namespaces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, nextEvent, emitAck, withTimeout } from "./helpers.js";

function checkWelcome(args, socket, { ns = "/", auth = {}, transport } = {}) {
  assert.equal(args.length, 1, `welcome carries exactly one argument, got ${JSON.stringify(args)}`);
  const w = args[0];
  assert.equal(typeof w, "object");
  assert.deepEqual(Object.keys(w).sort(), ["auth", "id", "ns", "query", "recovered", "transport"]);
  assert.equal(typeof socket.id, "string");
  assert.equal(w.id, socket.id, "welcome.id equals the client's socket.id");
  assert.equal(w.ns, ns);
  assert.deepEqual(w.auth, auth);
  assert.equal(w.recovered, false);
  if (transport) assert.equal(w.transport, transport);
  assert.equal(typeof w.query, "object");
  assert.equal(w.query.EIO, "4", `query contains EIO=4: ${JSON.stringify(w.query)}`);
  return w;
}

test("raw handshake: polling open packet has sid, upgrades, ping settings", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--ping-interval", "1500", "--ping-timeout", "1200"]);
  const res = await withTimeout(fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`), 5000, "handshake GET");
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.equal(body[0], "0", `open packet starts with "0": ${body}`);
  const open = JSON.parse(body.slice(1));
  assert.equal(typeof open.sid, "string");
  assert.ok(open.sid.length > 0);
  assert.deepEqual(open.upgrades, ["websocket"]);
  assert.equal(open.pingInterval, 1500);
  assert.equal(open.pingTimeout, 1200);
  assert.equal(typeof open.maxPayload, "number");
});

test("connect over polling only", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["polling"], query: { foo: "bar" } });
  const args = await welcome;
  assert.equal(socket.connected, true);
  const w = checkWelcome(args, socket, { transport: "polling" });
  assert.equal(w.query.foo, "bar");
  assert.equal(w.query.transport, "polling");
  assert.equal(socket.io.engine.transport.name, "polling");
  assert.deepEqual(await emitAck(socket, 3000, "transport"), ["polling"]);
  const log = await srv.waitForLog((l) => l.ev === "connection" && l.id === socket.id, 3000);
  assert.deepEqual(log, { ev: "connection", ns: "/", id: socket.id, transport: "polling", recovered: false });
});

test("connect over websocket only", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"], auth: { token: "abc", n: 1 } });
  const args = await welcome;
  checkWelcome(args, socket, { transport: "websocket", auth: { token: "abc", n: 1 } });
  assert.equal(socket.io.engine.transport.name, "websocket");
  assert.deepEqual(await emitAck(socket, 3000, "transport"), ["websocket"]);
  const log = await srv.waitForLog((l) => l.ev === "connection" && l.id === socket.id, 3000);
  assert.equal(log.transport, "websocket");
  assert.equal(log.recovered, false);
  assert.equal(log.ns, "/");
});

test("default transports: polling first, then upgrade to websocket", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { auth: { user: "u1" } });
  // the engine exists as soon as the manager opens; hook its upgrade event before it can happen
  const engine = socket.io.engine;
  assert.ok(engine, "manager opened an engine");
  const upgraded = nextEvent(engine, "upgrade", 8000);
  const args = await welcome;
  checkWelcome(args, socket, { auth: { user: "u1" } });
  // first transport is polling (the welcome may already have been sent after the upgrade, so we
  // check the server's connection log which records the transport at connection time)
  const conn = await srv.waitForLog((l) => l.ev === "connection" && l.id === socket.id, 3000);
  assert.equal(conn.transport, "polling");
  const [transport] = await upgraded;
  assert.equal(transport.name, "websocket");
  assert.equal(socket.io.engine.transport.name, "websocket");
  const up = await srv.waitForLog((l) => l.ev === "upgrade", 3000);
  assert.equal(up.transport, "websocket");
  assert.equal(typeof up.id, "string");
  assert.deepEqual(await emitAck(socket, 3000, "transport"), ["websocket"]);
  // still works after the upgrade
  assert.deepEqual(await socket.timeout(3000).emitWithAck("echo", "after-upgrade", 2), "after-upgrade");
});

test("--transports polling: no upgrade is offered, websocket-only client cannot connect", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--transports", "polling"]);
  const res = await withTimeout(fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`), 5000, "handshake GET");
  const open = JSON.parse((await res.text()).slice(1));
  assert.deepEqual(open.upgrades, []);
  const { socket, welcome } = h.client(srv.url);
  await welcome;
  assert.deepEqual(await emitAck(socket, 3000, "transport"), ["polling"]);
  const ws = h.client(srv.url, { transports: ["websocket"], reconnection: false });
  const [err] = await nextEvent(ws.socket, "connect_error", 5000, { rejectOn: ["connect"] });
  assert.ok(err instanceof Error);
});

test("multiplexing: / and /dyn-42 on one Manager share one engine connection", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const manager = h.manager(srv.url, { transports: ["websocket"] });
  const root = h.track(manager.socket("/"));
  const dyn = h.track(manager.socket("/dyn-42", { auth: { k: "v" } }));
  const [wRoot, wDyn] = await Promise.all([
    nextEvent(root, "welcome", 5000, { rejectOn: ["connect_error"] }),
    nextEvent(dyn, "welcome", 5000, { rejectOn: ["connect_error"] }),
  ]);
  checkWelcome(wRoot, root, { ns: "/" });
  checkWelcome(wDyn, dyn, { ns: "/dyn-42", auth: { k: "v" } });
  assert.notEqual(root.id, dyn.id, "each namespace has its own socket id");
  assert.equal(root.io, dyn.io);
  assert.equal(typeof manager.engine.id, "string");
  const rootId = root.id, dynId = dyn.id;
  const conns = [
    await srv.waitForLog((l) => l.ev === "connection" && l.id === root.id, 3000),
    await srv.waitForLog((l) => l.ev === "connection" && l.id === dyn.id, 3000),
  ];
  assert.deepEqual(conns.map((c) => c.ns), ["/", "/dyn-42"]);
  // events are routed per namespace
  assert.equal(await dyn.timeout(3000).emitWithAck("echo", "on-dyn"), "on-dyn");
  assert.equal(await root.timeout(3000).emitWithAck("echo", "on-root"), "on-root");
  // server side, they are one connection: close-me (socket.disconnect(true)) on /dyn-42 closes the
  // whole Engine.IO connection, so the "/" socket goes down as well.
  const rootDown = nextEvent(root, "disconnect", 5000);
  const dynDown = nextEvent(dyn, "disconnect", 5000);
  dyn.emit("close-me");
  const [[dynReason], [rootReason]] = await Promise.all([dynDown, rootDown]);
  assert.equal(dynReason, "io server disconnect");
  // the reference server sends DISCONNECT to every namespace of the connection before closing it
  assert.equal(rootReason, "io server disconnect");
  await srv.waitForLog((l) => l.ev === "disconnect" && l.id === rootId, 3000);
  await srv.waitForLog((l) => l.ev === "disconnect" && l.id === dynId && l.reason === "server namespace disconnect", 3000);
});

test("/admin refused without the token: connect_error unauthorized with data, not active", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  for (const auth of [undefined, { token: "wrong" }]) {
    const { socket } = h.client(srv.url, auth ? { auth } : {}, "/admin");
    const [err] = await nextEvent(socket, "connect_error", 5000, { rejectOn: ["connect"] });
    assert.ok(err instanceof Error);
    assert.equal(err.message, "unauthorized");
    assert.deepEqual(err.data, { reason: "bad token" });
    assert.equal(socket.active, false, "a middleware refusal does not reconnect");
    assert.equal(socket.connected, false);
  }
});

test("/admin with the right token connects", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { auth: { token: "secret" } }, "/admin");
  const args = await welcome;
  checkWelcome(args, socket, { ns: "/admin", auth: { token: "secret" } });
  assert.equal(await socket.timeout(3000).emitWithAck("echo", 1), 1);
});

test("unknown namespace: connect_error Invalid namespace", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  for (const nsp of ["/nope", "/dyn-x", "/dyn-"]) {
    const { socket } = h.client(srv.url, {}, nsp);
    const [err] = await nextEvent(socket, "connect_error", 5000, { rejectOn: ["connect"] });
    assert.equal(err.message, "Invalid namespace", `namespace ${nsp}`);
    assert.equal(socket.active, false);
  }
  // a valid dynamic namespace still works on the same server
  const { socket, welcome } = h.client(srv.url, {}, "/dyn-7");
  checkWelcome(await welcome, socket, { ns: "/dyn-7" });
});

test("per-packet middleware: forbidden event never reaches a handler, error-seen is emitted", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
  await welcome;
  const seen = nextEvent(socket, "error-seen", 3000);
  socket.emit("forbidden", 1, { a: 2 });
  assert.deepEqual(await seen, ["unauthorized event"]);
  const log = await srv.waitForLog((l) => l.ev === "error" && l.id === socket.id, 3000);
  assert.deepEqual(log, { ev: "error", ns: "/", id: socket.id, message: "unauthorized event" });
  // a forbidden event with an ack callback never gets its ack, and the socket stays connected
  let acked = false;
  socket.emit("forbidden", () => { acked = true; });
  await nextEvent(socket, "error-seen", 3000);
  assert.equal(await socket.timeout(3000).emitWithAck("echo", "still here"), "still here");
  assert.equal(acked, false);
  assert.equal(socket.connected, true);
});

test("handshake ack: headers, query, auth, time, issued, url, address, xdomain, secure", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const before = Date.now();
  const { socket, welcome } = h.client(srv.url, {
    transports: ["polling"],
    auth: { token: "t0k" },
    query: { q: "1" },
    extraHeaders: { "x-interop": "yes" },
  });
  await welcome;
  const [hs] = await emitAck(socket, 3000, "handshake");
  const after = Date.now();
  assert.equal(typeof hs, "object");
  assert.equal(typeof hs.headers, "object");
  assert.equal(hs.headers.host, `127.0.0.1:${srv.port}`);
  assert.equal(hs.headers["x-interop"], "yes");
  assert.equal(hs.query.EIO, "4");
  assert.equal(hs.query.transport, "polling");
  assert.equal(hs.query.q, "1");
  assert.deepEqual(hs.auth, { token: "t0k" });
  assert.equal(typeof hs.time, "string");
  assert.ok(!Number.isNaN(Date.parse(hs.time)), `time parses as a date: ${hs.time}`);
  assert.equal(typeof hs.issued, "number");
  assert.ok(hs.issued >= before - 1000 && hs.issued <= after + 1000, `issued ${hs.issued} is a ms timestamp in [${before}, ${after}]`);
  assert.equal(typeof hs.url, "string");
  assert.ok(hs.url.startsWith("/socket.io/?"), `url ${hs.url}`);
  assert.match(hs.url, /EIO=4/);
  assert.equal(typeof hs.address, "string");
  assert.match(hs.address, /127\.0\.0\.1|::1/);
  assert.equal(typeof hs.xdomain, "boolean");
  assert.equal(hs.xdomain, false, "no Origin header: not cross-domain");
  assert.equal(hs.secure, false);
});

test("handshake ack: xdomain true with a foreign Origin header", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const { socket, welcome } = h.client(srv.url, {
    transports: ["polling"],
    extraHeaders: { origin: "http://elsewhere.example" },
  });
  await welcome;
  const [hs] = await emitAck(socket, 3000, "handshake");
  assert.equal(hs.xdomain, true);
  assert.equal(hs.headers.origin, "http://elsewhere.example");
});

test("CORS: polling handshake answers an Origin with access-control headers", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const res = await withTimeout(fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, {
    headers: { origin: "http://elsewhere.example" },
  }), 5000, "GET");
  assert.equal(res.status, 200);
  const allow = res.headers.get("access-control-allow-origin");
  assert.ok(allow === "*" || allow === "http://elsewhere.example", `access-control-allow-origin: ${allow}`);
  await res.text();
  const pre = await withTimeout(fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, {
    method: "OPTIONS",
    headers: { origin: "http://elsewhere.example", "access-control-request-method": "POST" },
  }), 5000, "OPTIONS");
  assert.ok(pre.status === 204 || pre.status === 200, `preflight status ${pre.status}`);
  assert.ok(pre.headers.get("access-control-allow-origin"), "preflight has access-control-allow-origin");
  await pre.text();
});

test("connect timeout: a raw connection that never joins a namespace is closed", async (t) => {
  const h = harness(t);
  const srv = await h.server(["--connect-timeout", "300"]);
  const raw = h.raw(srv.url);
  const open = await raw.next((m) => m.startsWith("0"), 3000, "open packet");
  assert.equal(typeof JSON.parse(open.slice(1)).sid, "string");
  const start = Date.now();
  await withTimeout(raw.closed, 4000, "server closing the never-connected session");
  assert.ok(Date.now() - start < 4000);
});

test("a refused /admin does not affect / multiplexed on the same Manager", async (t) => {
  const h = harness(t);
  const srv = await h.server();
  const manager = h.manager(srv.url, { transports: ["websocket"] });
  const admin = h.track(manager.socket("/admin", { auth: { token: "nope" } }));
  const root = h.track(manager.socket("/"));
  const [[err], [w]] = await Promise.all([
    nextEvent(admin, "connect_error", 5000, { rejectOn: ["connect"] }),
    nextEvent(root, "welcome", 5000, { rejectOn: ["connect_error"] }),
  ]);
  assert.equal(err.message, "unauthorized");
  assert.deepEqual(err.data, { reason: "bad token" });
  checkWelcome([w], root);
  assert.equal(await root.timeout(3000).emitWithAck("echo", "fine"), "fine");
  // retry /admin with the right token on the same connection
  admin.auth = { token: "secret" };
  const ok = nextEvent(admin, "welcome", 5000, { rejectOn: ["connect_error"] });
  admin.connect();
  const [wa] = await ok;
  assert.equal(wa.ns, "/admin");
  assert.equal(root.connected, true);
});
