// Chromium always offers permessage-deflate: against interop-server --per-message-deflate the
// 101 agrees to it (seen through the DevTools protocol) and large JSON and binary echo both
// ways over the compressed WebSocket (the official browser bundle).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startInterop, launchBrowser, watchPage, CLIENT_BUNDLE } from "./fixture.js";

const T = 10000;

describe("permessage-deflate in Chromium", () => {
  let srv, browser, page, errors;
  const handshakes = [];

  before(async () => {
    srv = await startInterop({ args: ["--per-message-deflate"] });
    browser = await launchBrowser();
    page = await (await browser.newContext()).newPage();
    errors = watchPage(page, "about:blank");
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    cdp.on("Network.webSocketHandshakeResponseReceived", (e) => handshakes.push(e.response));
    await page.setContent("<!doctype html><title>deflate</title>");
    await page.addScriptTag({ path: CLIENT_BUNDLE });
  });

  after(async () => {
    await page?.evaluate(() => window.s?.disconnect()).catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (srv) await srv.stop();
  });

  it("the 101 agrees to permessage-deflate; large JSON and binary echo whole", async () => {
    const r = await page.evaluate(async ({ url, T }) => {
      const within = (p, what) => Promise.race([p, new Promise((_, no) => setTimeout(() => no(new Error(`timed out: ${what}`)), T))]);
      const s = (window.s = window.io(url, { forceNew: true, reconnection: false, transports: ["websocket"] }));
      await within(new Promise((ok, no) => { s.once("welcome", ok); s.once("connect_error", no); }), "welcome");
      const text = "deflate me in the browser ".repeat(4000);
      const blob = new Uint8Array(200000).map((_, i) => i % 11);
      // a callback, not emitWithAck: the ack carries both arguments
      const [json, bin] = await within(new Promise((ok) => s.emit("echo", { text }, blob.buffer, (...reply) => ok(reply))), "echo");
      const back = new Uint8Array(bin);
      return {
        transport: s.io.engine.transport.name,
        text: json.text === text,
        bin: back.length === blob.length && back.every((b, i) => b === blob[i]),
      };
    }, { url: srv.url, T });
    assert.deepEqual(errors, []);
    assert.deepEqual(r, { transport: "websocket", text: true, bin: true });
    const extensions = handshakes.map((h) => Object.entries(h.headers).find(([k]) => k.toLowerCase() === "sec-websocket-extensions")?.[1]);
    assert.deepEqual(extensions, ["permessage-deflate"], JSON.stringify(handshakes.map((h) => h.headers)));
  });
});
