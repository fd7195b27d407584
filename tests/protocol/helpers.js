// Raw Engine.IO / Socket.IO clients for the protocol tests: an HTTP
// long-polling connection (fetch) and a WebSocket connection (ws), both with
// the same packet-level interface, plus small HTTP helpers.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";

export { sleep };

/** Awaits `promise`, failing with a readable message after `ms`. */
export async function withTimeout(promise, ms, what) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const SEP = "\x1e";
export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;
export const MAX_PAYLOAD = 1000000;
export const CONNECT_TIMEOUT = 1000;

/** Default time to wait for something the server should do promptly. */
export const WAIT = 2000;

// ---------------------------------------------------------------------------
// Engine.IO payload encoding (HTTP long-polling)

/** Splits a polling response body into packets: strings, or Buffers for `b`+base64 packets. */
export function decodePayload(body) {
  return body.split(SEP).map((p) => (p.startsWith("b") ? Buffer.from(p.slice(1), "base64") : p));
}

/** Joins packets (strings, or Buffers sent as `b`+base64) with the record separator. */
export function encodePayload(packets) {
  return packets.map((p) => (typeof p === "string" ? p : "b" + Buffer.from(p).toString("base64"))).join(SEP);
}

export function show(p) {
  if (typeof p === "string") return JSON.stringify(p.length > 200 ? p.slice(0, 200) + "…" : p);
  return `<binary ${Buffer.from(p).toString("hex").slice(0, 64)}>`;
}

// ---------------------------------------------------------------------------
// HTTP helpers

/** fetch that never throws: {status, headers, body} or {error}. */
export async function request(url, opts = {}) {
  const { timeout = WAIT, ...rest } = opts;
  const signal = rest.signal ?? AbortSignal.timeout(timeout);
  try {
    const res = await fetch(url, { ...rest, signal });
    const body = await res.text();
    return { status: res.status, headers: res.headers, body };
  } catch (e) {
    return { error: e.cause?.code ?? e.name ?? String(e), cause: e };
  }
}

export function eioUrl(server, path, query) {
  return `${server.http}${path}?${query}`;
}

export function pollUrl(server, path, sid) {
  return `${server.http}${path}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
}

/** Asserts an Engine.IO error response: HTTP 400 with JSON {code, message}. */
export function assertEioError(res, code, message, what = "") {
  assert.ok(!res.error, `${what}: request failed (${res.error}) instead of answering HTTP 400`);
  assert.equal(res.status, 400, `${what}: expected HTTP 400, got ${res.status} ${show(res.body)}`);
  let json;
  try {
    json = JSON.parse(res.body);
  } catch {
    assert.fail(`${what}: error body is not JSON: ${show(res.body)}`);
  }
  assert.deepEqual(json, { code, message }, `${what}: error body`);
  const ct = res.headers.get("content-type") ?? "";
  assert.match(ct, /^application\/json/, `${what}: error Content-Type`);
}

/** Parses and checks an open packet; returns the handshake object. */
export function parseOpen(packet, upgrades) {
  assert.equal(typeof packet, "string", "open packet must be text");
  assert.ok(packet.startsWith("0"), `expected an open packet, got ${show(packet)}`);
  const hs = JSON.parse(packet.slice(1));
  assert.deepEqual(Object.keys(hs).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  assert.equal(typeof hs.sid, "string");
  assert.ok(hs.sid.length > 0, "sid must not be empty");
  assert.deepEqual(hs.upgrades, upgrades);
  assert.equal(hs.pingInterval, PING_INTERVAL);
  assert.equal(hs.pingTimeout, PING_TIMEOUT);
  assert.equal(hs.maxPayload, MAX_PAYLOAD);
  return hs;
}

/** Opens a polling session by hand (no background loop); returns the sid. */
export async function pollingHandshake(server, path) {
  const res = await request(eioUrl(server, path, "EIO=4&transport=polling"));
  assert.ok(!res.error, `handshake failed: ${res.error}`);
  assert.equal(res.status, 200, `handshake: HTTP ${res.status} ${show(res.body)}`);
  const [open] = decodePayload(res.body);
  return parseOpen(open, ["websocket"]).sid;
}

// ---------------------------------------------------------------------------
// A packet queue with timeouts

class Queue {
  constructor(label) {
    this.label = label;
    this.items = [];
    this.waiters = [];
    this.ended = null;
  }
  push(item) {
    const w = this.waiters.shift();
    if (w) w.ok(item);
    else this.items.push(item);
  }
  end(why) {
    this.ended = why;
    for (const w of this.waiters.splice(0)) w.fail(new Error(`${this.label}: connection closed (${why}) while waiting for a packet`));
  }
  next(timeout, what) {
    if (this.items.length) return Promise.resolve(this.items.shift());
    if (this.ended) return Promise.reject(new Error(`${this.label}: connection closed (${this.ended}) while waiting for ${what}`));
    return new Promise((ok, fail) => {
      const w = {
        ok: (v) => {
          clearTimeout(timer);
          ok(v);
        },
        fail: (e) => {
          clearTimeout(timer);
          fail(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        fail(new Error(`${this.label}: no packet within ${timeout} ms while waiting for ${what}`));
      }, timeout);
      this.waiters.push(w);
    });
  }
}

const openConns = new Set();

/** Closes every connection opened by the helpers (call in afterEach). */
export async function closeAll() {
  const all = [...openConns];
  openConns.clear();
  await Promise.all(all.map((c) => c.close()));
}

class BaseConn {
  constructor(label, autoPong) {
    this.queue = new Queue(label);
    this.autoPong = autoPong;
    this.pings = 0;
    this.closedInfo = null;
    this.closedAt = null;
    this._closedWaiters = [];
    openConns.add(this);
  }
  _markClosed(info) {
    if (this.closedInfo) return;
    this.closedInfo = info;
    this.closedAt = Date.now();
    this.queue.end(JSON.stringify(info));
    for (const w of this._closedWaiters.splice(0)) w(info);
  }
  get closed() {
    return this.closedInfo !== null;
  }
  /** Next packet from the server (pings are answered and skipped when autoPong). */
  next(timeout = WAIT, what = "a packet") {
    return this.queue.next(timeout, what);
  }
  /** Next packet; asserts it equals `expected` (string or bytes). */
  async expect(expected, timeout = WAIT) {
    const got = await this.next(timeout, show(expected));
    if (typeof expected === "string") assert.equal(got, expected);
    else {
      assert.ok(Buffer.isBuffer(got), `expected binary ${show(expected)}, got ${show(got)}`);
      assert.deepEqual([...got], [...expected]);
    }
    return got;
  }
  /** Asserts that no packet (other than auto-answered pings) arrives for `ms`. */
  async expectSilence(ms) {
    const before = this.queue.items.length;
    assert.equal(before, 0, `unexpected packet already queued: ${this.queue.items.map(show).join(", ")}`);
    await sleep(ms);
    assert.equal(this.queue.items.length, 0, `unexpected packet(s): ${this.queue.items.map(show).join(", ")}`);
  }
  /** Waits until the server ends the connection/session; returns the close info. */
  waitClosed(timeout = WAIT, what = "the server to close the connection") {
    if (this.closedInfo) return Promise.resolve(this.closedInfo);
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        const pending = this.queue.items.map(show).join(", ");
        fail(new Error(`timed out after ${timeout} ms waiting for ${what}${pending ? `; received meanwhile: ${pending}` : ""}`));
      }, timeout);
      this._closedWaiters.push((info) => {
        clearTimeout(timer);
        ok(info);
      });
    });
  }
}

// ---------------------------------------------------------------------------
// WebSocket connection

export class WsConn extends BaseConn {
  /**
   * Opens a WebSocket to `path` with `query`; resolves once the HTTP upgrade
   * succeeded (before any Engine.IO packet). Rejects with err.status set when
   * the server refuses the upgrade with an HTTP response. `headers` are added
   * to the upgrade request.
   */
  static open(server, path, query = "EIO=4&transport=websocket", { autoPong = true, headers } = {}) {
    const conn = new WsConn(`ws ${path}`, autoPong);
    const ws = new WebSocket(`${server.ws}${path}?${query}`, headers ? { headers } : undefined);
    conn.ws = ws;
    ws.on("message", (data, isBinary) => {
      if (isBinary) return conn.queue.push(Buffer.from(data));
      const text = data.toString("utf8");
      if (text === "2" && conn.autoPong) {
        conn.pings++;
        if (ws.readyState === WebSocket.OPEN) ws.send("3");
        return;
      }
      conn.queue.push(text);
    });
    ws.on("close", (code, reason) => conn._markClosed({ code, reason: reason.toString() }));
    return new Promise((ok, fail) => {
      ws.once("open", () => ok(conn));
      ws.once("unexpected-response", (req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          const err = new Error(`websocket upgrade refused: HTTP ${res.statusCode} ${show(body)}`);
          err.status = res.statusCode;
          err.body = body;
          conn._markClosed({ status: res.statusCode, body });
          fail(err);
        });
        res.on("error", () => {});
        req.destroy();
      });
      ws.on("error", (e) => {
        conn._markClosed({ error: e.message });
        fail(e);
      });
    });
  }
  /** Opens a WebSocket Engine.IO session and reads the open packet. */
  static async connect(server, path, opts) {
    const conn = await WsConn.open(server, path, "EIO=4&transport=websocket", opts);
    conn.handshake = parseOpen(await conn.next(WAIT, "the open packet"), []);
    conn.sid = conn.handshake.sid;
    return conn;
  }
  /** Sends each packet in its own frame (strings as text, Buffers as binary). */
  async send(...packets) {
    for (const p of packets) this.ws.send(p, { binary: typeof p !== "string" });
  }
  async close() {
    openConns.delete(this);
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const done = new Promise((ok) => this.ws.once("close", ok));
    this.ws.terminate();
    await done;
  }
}

// ---------------------------------------------------------------------------
// HTTP long-polling connection with a background GET loop

export class PollingConn extends BaseConn {
  /** Opens a polling session and starts the GET loop. */
  static async connect(server, path, { autoPong = true } = {}) {
    const res = await request(eioUrl(server, path, "EIO=4&transport=polling"));
    assert.ok(!res.error, `polling handshake failed: ${res.error}`);
    assert.equal(res.status, 200, `polling handshake: HTTP ${res.status} ${show(res.body)}`);
    const [open, ...rest] = decodePayload(res.body);
    const conn = new PollingConn(`polling ${path}`, autoPong);
    conn.server = server;
    conn.path = path;
    conn.handshake = parseOpen(open, ["websocket"]);
    conn.sid = conn.handshake.sid;
    conn.url = pollUrl(server, path, conn.sid);
    conn.abort = new AbortController();
    conn.postChain = Promise.resolve();
    conn.posts = [];
    for (const p of rest) conn._handle(p);
    conn.loop = conn._loop();
    return conn;
  }
  _handle(p) {
    if (p === "2" && this.autoPong) {
      this.pings++;
      this.send("3");
      return;
    }
    if (p === "1") {
      this.closePacket = true;
      this._markClosed({ closePacket: true });
      return;
    }
    this.queue.push(p);
  }
  async _loop() {
    while (!this.closed && !this.stopped && !this.pausing) {
      let res;
      try {
        res = await fetch(this.url, { signal: this.abort.signal });
      } catch (e) {
        if (!this.stopped) this._markClosed({ error: e.cause?.code ?? e.name });
        return;
      }
      const body = await res.text().catch(() => "");
      if (res.status !== 200) {
        this._markClosed({ status: res.status, body });
        return;
      }
      for (const p of decodePayload(body)) this._handle(p);
    }
  }
  /** POSTs all packets in one payload (serialised after earlier POSTs); resolves to the response. */
  send(...packets) {
    const body = encodePayload(packets);
    const result = (this.postChain = this.postChain.then(() =>
      this.stopped ? { error: "stopped" } : request(this.url, { method: "POST", body }),
    ));
    this.posts.push(result);
    return result;
  }
  async close() {
    openConns.delete(this);
    this.stopped = true;
    this.abort.abort();
    await this.loop;
  }
  /**
   * Upgrades this session to WebSocket the way a client does: opens the
   * websocket with the sid, probes, lets the pending GET be released (noop),
   * then sends the upgrade packet. Returns the WsConn carrying the session.
   */
  async upgrade() {
    const ws = await WsConn.open(this.server, this.path, `EIO=4&transport=websocket&sid=${encodeURIComponent(this.sid)}`, {
      autoPong: this.autoPong,
    });
    ws.sid = this.sid;
    ws.handshake = this.handshake;
    this.pausing = true; // no new GET once the pending one returns
    await ws.send("2probe");
    assert.equal(await ws.next(WAIT, "3probe"), "3probe");
    await withTimeout(this.loop, WAIT, "the pending GET to be released (noop) after the probe");
    await this.postChain;
    assert.ok(!this.closed, `the polling session closed during the upgrade: ${JSON.stringify(this.closedInfo)}`);
    await ws.send("5");
    // packets the polling transport had already delivered stay in order
    ws.queue.items.unshift(...this.queue.items.filter((p) => p !== "6"));
    this.queue.items = [];
    this.stopped = true;
    openConns.delete(this);
    return ws;
  }
}

export function connect(server, transport, path, opts) {
  return transport === "websocket" ? WsConn.connect(server, path, opts) : PollingConn.connect(server, path, opts);
}

// ---------------------------------------------------------------------------
// Socket.IO layer (each Socket.IO packet rides in an Engine.IO message, "4")

/** Sends Socket.IO packets: strings are prefixed with the Engine.IO message type, Buffers go as binary. */
export function sioSend(conn, ...packets) {
  return conn.send(...packets.map((p) => (typeof p === "string" ? "4" + p : p)));
}

/** Next Socket.IO packet: the text after the "4" prefix, or a Buffer attachment. */
export async function sioNext(conn, timeout = WAIT, what = "a Socket.IO packet") {
  const p = await conn.next(timeout, what);
  if (typeof p !== "string") return p;
  assert.ok(p.startsWith("4"), `expected an Engine.IO message packet, got ${show(p)}`);
  return p.slice(1);
}

export async function sioExpect(conn, expected, timeout = WAIT) {
  const got = await sioNext(conn, timeout, show(expected));
  if (typeof expected === "string") assert.equal(got, expected);
  else {
    assert.ok(Buffer.isBuffer(got), `expected binary ${show(expected)}, got ${show(got)}`);
    assert.deepEqual([...got], [...expected]);
  }
}

/**
 * Sends CONNECT for `nsp` (with optional auth) and checks the CONNECT reply,
 * which must carry exactly {"sid": string}. Returns the Socket.IO sid.
 */
export async function sioConnect(conn, nsp = "/", auth) {
  const prefix = nsp === "/" ? "" : `${nsp},`;
  await sioSend(conn, `0${prefix}${auth === undefined ? "" : JSON.stringify(auth)}`);
  const reply = await sioNext(conn, WAIT, `CONNECT reply for ${nsp}`);
  assert.equal(typeof reply, "string");
  assert.ok(reply.startsWith(`0${prefix}`), `expected CONNECT reply "0${prefix}{...}", got ${show(reply)}`);
  const data = JSON.parse(reply.slice(1 + prefix.length));
  assert.deepEqual(Object.keys(data), ["sid"], `CONNECT reply payload must be exactly {"sid"}: ${reply}`);
  assert.equal(typeof data.sid, "string");
  assert.ok(data.sid.length > 0);
  return data.sid;
}

/** Connects to `nsp` and consumes the `auth` event the conformance server emits on connect. */
export async function sioConnectReady(conn, nsp = "/", auth) {
  const sid = await sioConnect(conn, nsp, auth);
  const prefix = nsp === "/" ? "" : `${nsp},`;
  await sioExpect(conn, `2${prefix}${JSON.stringify(["auth", auth ?? {}])}`);
  return sid;
}

/**
 * Reads one Socket.IO packet with its binary attachments and rebuilds the
 * payload (placeholders replaced by Buffers). Returns {type, nsp, id, data}.
 */
export async function sioNextDecoded(conn, timeout = WAIT) {
  const head = await sioNext(conn, timeout, "a Socket.IO packet");
  assert.equal(typeof head, "string", `expected a text packet, got ${show(head)}`);
  const m = /^(\d)(?:(\d+)-)?(?:(\/[^,]*),)?(\d+)?(.*)$/s.exec(head);
  assert.ok(m, `undecodable Socket.IO packet ${show(head)}`);
  const [, type, att, nsp = "/", id, json] = m;
  const attachments = [];
  for (let i = 0; i < Number(att ?? 0); i++) {
    const b = await sioNext(conn, timeout, `attachment ${i} of ${show(head)}`);
    assert.ok(Buffer.isBuffer(b), `attachment ${i} must be binary, got ${show(b)}`);
    attachments.push(b);
  }
  const used = new Set();
  const revive = (v) => {
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === "object") {
      if (v._placeholder === true && typeof v.num === "number") {
        assert.ok(v.num < attachments.length, `placeholder num ${v.num} out of range in ${show(head)}`);
        used.add(v.num);
        return attachments[v.num];
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
    }
    return v;
  };
  const data = json ? revive(JSON.parse(json)) : undefined;
  assert.equal(used.size, attachments.length, `every attachment must be referenced by a placeholder in ${show(head)}`);
  return { type: Number(type), attachments: attachments.length, nsp, id: id === undefined ? undefined : Number(id), data, raw: head };
}
