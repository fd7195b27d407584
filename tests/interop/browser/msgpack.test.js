// The official msgpack browser bundle (socket.io-client/dist/socket.io.msgpack.min.js, with
// socket.io-msgpack-parser built in) in headless Chromium against `interop-server --parser msgpack`.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startInterop, launchBrowser, watchPage, MSGPACK_BUNDLE } from "./fixture.js";

const T = 10000;

describe("socket.io msgpack browser bundle against interop-server --parser msgpack", () => {
  let srv, browser, page, errors;

  before(async () => {
    srv = await startInterop({ args: ["--parser", "msgpack"] });
    browser = await launchBrowser();
    page = await (await browser.newContext()).newPage();
    errors = watchPage(page, "about:blank");
    await page.setContent("<!doctype html><title>msgpack</title>");
    await page.addScriptTag({ path: MSGPACK_BUNDLE });
  });

  after(async () => {
    await page?.evaluate(() => window.s?.disconnect()).catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (srv) await srv.stop();
  });

  it("connects over polling, upgrades, and echoes nested binary with acks both ways", async () => {
    const r = await page.evaluate(async ({ url, T }) => {
      const within = (p, what) => Promise.race([p, new Promise((_, no) => setTimeout(() => no(new Error(`timed out: ${what}`)), T))]);
      const s = (window.s = window.io(url, { forceNew: true, reconnection: false }));
      const [welcome] = await within(new Promise((ok, no) => { s.once("welcome", (...a) => ok(a)); s.once("connect_error", no); }), "welcome");
      if (s.io.engine.transport.name !== "websocket") await within(new Promise((ok) => s.io.engine.once("upgrade", ok)), "upgrade");
      const bytes = (x) => (ArrayBuffer.isView(x) ? [...new Uint8Array(x.buffer, x.byteOffset, x.byteLength)] : [...new Uint8Array(x)]);
      // callbacks, not emitWithAck: the acks carry several arguments
      const ack = (...args) => within(new Promise((ok) => s.emit(...args, (...reply) => ok(reply))), args[0]);
      // notepack.io's browser build writes an ArrayBuffer as bin (a typed array would be a map)
      const acked = await ack("echo", { blob: new Uint8Array([1, 2, 255]).buffer, n: 1.5 }, "text");
      s.on("question", (arg, answer) => answer("answer", arg, new Uint8Array([9]).buffer));
      const asked = await ack("ask", "question", new Uint8Array([7]).buffer);
      const [err, reply] = asked.length === 2 ? asked : asked[0];
      return {
        ns: welcome.ns,
        transport: s.io.engine.transport.name,
        acked: [bytes(acked[0].blob), acked[0].blob instanceof ArrayBuffer, acked[0].n, acked[1]],
        asked: [err, reply[0], bytes(reply[1]), bytes(reply[2])],
      };
    }, { url: srv.url, T });
    assert.deepEqual(errors, []);
    assert.equal(r.ns, "/");
    assert.equal(r.transport, "websocket");
    assert.deepEqual(r.acked, [[1, 2, 255], true, 1.5, "text"]);
    assert.deepEqual(r.asked, [null, "answer", [7], [9]]);
  });
});
