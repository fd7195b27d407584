// The official socket.io browser bundle (socket.io-client/dist/socket.io.min.js) in headless Chromium
// against the interop server (tests/interop/CONTRACT.md). The interop server serves no pages, so:
//  - the main page is about:blank (page.setContent, origin "null") with the bundle injected by
//    page.addScriptTag: every request it makes is a cross-origin one to the interop server;
//  - a second page is a blank document on another loopback origin (http://localhost:Q, a tiny node
//    server in this file), loading the bundle with a plain <script src>.
// (A page Playwright fulfils itself via page.route at the server's origin does not work: Chromium's
// Local Network Access checks treat it as public and block its WebSocket to 127.0.0.1.)
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startInterop, launchBrowser, watchPage, startPageServer, CLIENT_BUNDLE } from "./fixture.js";

const T = 10000; // every wait fails after this

// Injected into every page: promise helpers with timeouts, so each in-browser wait fails by itself.
const browserHelpers = () => {
  window.within = (ms, what, promise) => {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
    ]).finally(() => clearTimeout(timer));
  };
  /** Resolves with the arguments of the next `event`; rejects on connect_error if asked. */
  window.nextEvent = (emitter, event, ms, rejectOnConnectError = false) => window.within(ms, `"${event}"`, new Promise((resolve, reject) => {
    emitter.once(event, (...args) => resolve(args));
    if (rejectOnConnectError) {
      emitter.once("connect_error", (err) => reject(new Error(`connect_error while waiting for "${event}": ${err.message} ${JSON.stringify(err.data ?? null)}`)));
    }
  }));
  window.sockets = [];
  window.closedEngines = []; // Engine.IO session ids this page closed
  window.open_ = (url, opts) => {
    const s = window.io(url, { forceNew: true, reconnection: false, ...opts });
    // the engine exists synchronously after io(): its first transport
    s.firstTransport = s.io.engine.transport.name;
    s.io.on("open", () => {
      const engine = s.io.engine;
      const sid = engine.id; // cleared before "close" fires
      engine.once("close", () => window.closedEngines.push(sid));
    });
    window.sockets.push(s);
    return s;
  };
};

describe("socket.io browser bundle against interop-server", () => {
  let srv, browser, pageServer;
  const pages = [];

  before(async () => {
    srv = await startInterop();
    pageServer = await startPageServer();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const p of pages) await p.page.evaluate(() => window.sockets?.forEach((s) => s.disconnect())).catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (pageServer) await pageServer.close();
    if (srv) await srv.stop();
  });

  /** about:blank with the bundle injected from the file (origin "null"), in a fresh context. */
  async function blankPage() {
    const page = await (await browser.newContext()).newPage();
    const errors = watchPage(page, "about:blank");
    await page.setContent("<!doctype html><title>blank</title>");
    await page.addScriptTag({ path: CLIENT_BUNDLE });
    return ready({ page, errors });
  }

  /** http://localhost:Q/blank.html, which loads the bundle with <script src>, in a fresh context. */
  async function servedPage() {
    const page = await (await browser.newContext()).newPage();
    const errors = watchPage(page, pageServer.url);
    await page.goto(`${pageServer.url}/blank.html`);
    return ready({ page, errors });
  }

  async function ready(p) {
    assert.equal(await p.page.evaluate(() => typeof window.io), "function", "the bundle defines window.io");
    await p.page.evaluate(browserHelpers);
    pages.push(p);
    return p;
  }

  it("blank page: io(url) connects over polling and upgrades to websocket", async () => {
    const { page: pg } = await blankPage();
    const welcome = await pg.evaluate(async ({ url, T }) => {
      const s = window.open_(url, { transports: ["polling", "websocket"], upgrade: true });
      window.main = s;
      const [w] = await window.nextEvent(s, "welcome", T, true);
      return { welcome: w, id: s.id, engineId: s.io.engine.id, origin: location.origin, first: s.firstTransport };
    }, { url: srv.url, T });
    assert.equal(welcome.origin, "null", "about:blank has an opaque origin: all requests are cross-origin");
    assert.equal(welcome.first, "polling", "the client opens with polling");
    assert.equal(welcome.welcome.id, welcome.id);
    assert.equal(welcome.welcome.ns, "/");
    // "polling", unless the connection handler ran after the upgrade had completed (seen with sio
    // under CPU load; never with the reference server)
    assert.match(welcome.welcome.transport, /^(polling|websocket)$/);
    const conn = await srv.waitForLog((l) => l.ev === "connection" && l.id === welcome.id, T);
    assert.equal(conn.transport, welcome.welcome.transport);

    await pg.waitForFunction(() => window.main.io.engine.transport.name === "websocket", null, { timeout: T })
      .catch(async (err) => {
        const t = await pg.evaluate(() => window.main.io.engine.transport.name);
        throw new Error(`transport is still ${JSON.stringify(t)} after ${T} ms\n${err.message}`);
      });
    // the contract's upgrade line carries an id: the socket's (sio) or the connection's (reference server)
    const up = await srv.waitForLog((l) => l.ev === "upgrade" && (l.id === welcome.id || l.id === welcome.engineId), T);
    assert.equal(up.transport, "websocket");
    const transport = await pg.evaluate(({ T }) => window.main.timeout(T).emitWithAck("transport"), { T });
    assert.equal(transport, "websocket", "the server sees the websocket transport");
  });

  it("emitWithAck(\"echo\", Uint8Array) comes back as an ArrayBuffer with the same bytes (websocket)", async () => {
    const { page: pg } = pages[0];
    const r = await pg.evaluate(async ({ T }) => {
      const s = window.main;
      const echoed = window.nextEvent(s, "echo", T);
      const acked = await s.timeout(T).emitWithAck("echo", new Uint8Array([1, 2, 3]));
      const [event] = await echoed;
      const describe = (x) => ({
        type: Object.prototype.toString.call(x),
        isArrayBuffer: x instanceof ArrayBuffer,
        bytes: x instanceof ArrayBuffer || ArrayBuffer.isView(x) ? [...new Uint8Array(x.buffer ?? x, x.byteOffset ?? 0, x.byteLength)] : x,
      });
      return { transport: s.io.engine.transport.name, ack: describe(acked), event: describe(event) };
    }, { T });
    assert.equal(r.transport, "websocket");
    assert.deepEqual(r.ack, { type: "[object ArrayBuffer]", isArrayBuffer: true, bytes: [1, 2, 3] }, "the ack");
    assert.deepEqual(r.event, { type: "[object ArrayBuffer]", isArrayBuffer: true, bytes: [1, 2, 3] }, "the echo event");
  });

  it("binary echo also works polling-only (base64 over XHR)", async () => {
    const { page: pg } = pages[0];
    const codings = [];
    const onResponse = (res) => {
      if (res.url().includes("transport=polling")) codings.push(res.headers()["content-encoding"] ?? null);
    };
    pg.on("response", onResponse);
    const r = await pg.evaluate(async ({ url, T }) => {
      const s = window.open_(url, { transports: ["polling"] });
      const [welcome] = await window.nextEvent(s, "welcome", T, true);
      const acked = await s.timeout(T).emitWithAck("echo", new Uint8Array([0, 255, 7]), "text", { n: 1 });
      // over the 1024-byte threshold: the response comes gzip-compressed (Chromium accepts it)
      const big = "z".repeat(20000);
      const bigAck = await s.timeout(T).emitWithAck("echo", big);
      const out = {
        big: bigAck === big,
        welcome: welcome.transport,
        transport: s.io.engine.transport.name,
        isArrayBuffer: acked instanceof ArrayBuffer,
        bytes: acked instanceof ArrayBuffer ? [...new Uint8Array(acked)] : acked,
      };
      s.disconnect();
      return out;
    }, { url: srv.url, T });
    pg.off("response", onResponse);
    assert.deepEqual(r, { big: true, welcome: "polling", transport: "polling", isArrayBuffer: true, bytes: [0, 255, 7] });
    assert.ok(codings.includes("gzip"), `the big echo came gzip-compressed: ${JSON.stringify(codings)}`);
  });

  it("joins a room: the ack lists it, to-room reaches the member and not a non-member", async () => {
    const { page: pg } = pages[0];
    const r = await pg.evaluate(async ({ url, T }) => {
      const member = window.main;
      const other = window.open_(url, {});
      await window.nextEvent(other, "connect", T, true);
      const otherGot = [];
      other.on("room-msg", (...args) => otherGot.push(args));

      const rooms = await member.timeout(T).emitWithAck("join", "browser-room");
      const got = window.nextEvent(member, "room-msg", T);
      member.emit("to-room", "browser-room", "room-msg", "hi room", new Uint8Array([9]));
      const [text, bin] = await got;
      // Barrier: anything sent to `other` for the room was queued on its connection before this reply.
      const echoed = window.nextEvent(other, "echo", T);
      other.emit("echo", "barrier");
      const echo = await echoed;
      return {
        id: member.id,
        rooms,
        text,
        bin: bin instanceof ArrayBuffer ? [...new Uint8Array(bin)] : String(bin),
        echo,
        otherGot,
      };
    }, { url: srv.url, T });
    assert.deepEqual(r.rooms, [r.id, "browser-room"].sort(), "join acks the sorted rooms");
    assert.equal(r.text, "hi room");
    assert.deepEqual(r.bin, [9]);
    assert.deepEqual(r.echo, ["barrier"]);
    assert.deepEqual(r.otherGot, [], "a socket outside the room gets nothing");
  });

  it("/admin without the token: connect_error \"unauthorized\" with data {reason: \"bad token\"}; with it: connects", async () => {
    const { page: pg } = pages[0];
    const r = await pg.evaluate(async ({ url, T }) => {
      const bad = window.open_(url + "/admin", { auth: { token: "wrong" } });
      const [err] = await window.within(T, "connect_error on /admin", new Promise((resolve, reject) => {
        bad.once("connect_error", (...a) => resolve(a));
        bad.once("connect", () => reject(new Error("/admin accepted a bad token")));
      }));
      const good = window.open_(url + "/admin", { auth: { token: "secret" } });
      const [welcome] = await window.nextEvent(good, "welcome", T, true);
      return {
        isError: err instanceof Error,
        message: err.message,
        data: err.data,
        badConnected: bad.connected,
        welcome: { ns: welcome.ns, auth: welcome.auth, id: welcome.id === good.id },
      };
    }, { url: srv.url, T });
    assert.equal(r.isError, true);
    assert.equal(r.message, "unauthorized");
    assert.deepEqual(r.data, { reason: "bad token" });
    assert.equal(r.badConnected, false);
    assert.deepEqual(r.welcome, { ns: "/admin", auth: { token: "secret" }, id: true });
  });

  it("an unknown namespace: connect_error \"Invalid namespace\"", async () => {
    const { page: pg } = pages[0];
    const message = await pg.evaluate(async ({ url, T }) => {
      const s = window.open_(url + "/nope", {});
      const [err] = await window.within(T, "connect_error on /nope", new Promise((resolve, reject) => {
        s.once("connect_error", (...a) => resolve(a));
        s.once("connect", () => reject(new Error("/nope connected")));
      }));
      return err.message;
    }, { url: srv.url, T });
    assert.equal(message, "Invalid namespace");
  });

  it("page on another http origin (CORS with a real Origin): connects, upgrades, echoes binary", async () => {
    const { page: pg } = await servedPage();
    const r = await pg.evaluate(async ({ url, T }) => {
      const s = window.open_(url, {});
      window.other = s;
      const [w] = await window.nextEvent(s, "welcome", T, true);
      return { origin: location.origin, welcome: w, id: s.id, first: s.firstTransport };
    }, { url: srv.url, T });
    assert.equal(r.origin, pageServer.url);
    assert.equal(r.first, "polling");
    assert.equal(r.welcome.id, r.id);
    await pg.waitForFunction(() => window.other.io.engine.transport.name === "websocket", null, { timeout: T });
    const bytes = await pg.evaluate(async ({ T }) => {
      const reply = await window.other.timeout(T).emitWithAck("echo", new Uint8Array([4, 5, 6]));
      return reply instanceof ArrayBuffer ? [...new Uint8Array(reply)] : String(reply);
    }, { T });
    assert.deepEqual(bytes, [4, 5, 6]);
  });

  it("disconnect from the browser: server logs reason \"client namespace disconnect\"", async () => {
    const { page: pg } = pages[0];
    const id = await pg.evaluate(() => { const id = window.main.id; window.main.disconnect(); return id; });
    const d = await srv.waitForLog((l) => l.ev === "disconnect" && l.id === id, T);
    assert.equal(d.reason, "client namespace disconnect");
  });

  it("no uncaught errors or failed requests in the pages", async () => {
    const sockets = [];
    const closed = [];
    for (const p of pages) {
      sockets.push(...await p.page.evaluate(() => window.sockets.map((s) => ({
        nsp: s.nsp, id: s.id ?? null, engine: s.io.engine?.id ?? null, connected: s.connected,
      }))).catch((e) => [String(e)]));
      closed.push(...await p.page.evaluate(() => window.closedEngines));
    }
    // Allowed: a 400 to a long-poll GET of a session this page had just closed. After a
    // connect_error the client closes its engine (POST "1") while its next GET is in flight; if the
    // POST is handled first, the GET finds the session gone ("Session ID unknown"). The reference
    // server answers the same race the same way.
    const closeRace = (e) => /status of 400|HTTP 400 for GET/.test(e) &&
      closed.some((sid) => e.includes(`transport=polling`) && e.includes(`sid=${sid}`));
    const errors = pages.flatMap((p) => p.errors).filter((e) => !/favicon\.ico/.test(e) && !closeRace(e));
    assert.deepEqual(errors, [], `sockets: ${JSON.stringify(sockets)}\nclosed engines: ${JSON.stringify(closed)}\nserver log:\n${srv.lines.join("\n")}`);
  });
});
