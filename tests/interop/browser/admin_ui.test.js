// The official admin UI (@socket.io/admin-ui's built web app, ui/dist) in headless Chromium,
// served from its own origin, connected to interop-server --admin-ui (its instrumentation on
// /ui-admin, tests/interop/CONTRACT.md): it shows the server and a socket.io-client connected
// from Node, with its rooms, and its Disconnect button disconnects that client; with basic auth
// a wrong password is refused and the right one accepted. Runs against reference-server.js too.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";
import { startInterop, launchBrowser, withTimeout } from "./fixture.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const UI = path.resolve(here, "../../node_modules/@socket.io/admin-ui/ui/dist");
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "application/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".map": "application/json" };

/** The UI's static files on http://localhost:Q (another origin than the server's). */
async function serveUi() {
  const server = createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/^\/+/, "") || "index.html";
    const file = path.resolve(UI, rel);
    if (!file.startsWith(UI + path.sep)) { res.writeHead(403); res.end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve, reject) => { server.once("error", reject); server.listen(0, "127.0.0.1", resolve); });
  return {
    url: `http://localhost:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** A socket.io-client in Node on `/` that joined `room`; resolves once the join was acked. */
async function nodeClient(url, room) {
  const socket = io(url, { forceNew: true, reconnection: false });
  await withTimeout(new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  }), 8000, "the Node client's connect");
  await withTimeout(new Promise((resolve) => socket.emit("join", room, resolve)), 5000, "the join ack");
  return socket;
}

describe("the admin UI (@socket.io/admin-ui/ui/dist) in Chromium", () => {
  let browser, ui;
  const cleanup = [];

  before(async () => {
    ui = await serveUi();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (ui) await ui.close();
  });

  /** A page of the UI told (in localStorage, as the UI saves it) where the server is. */
  async function uiPage(serverUrl) {
    const context = await browser.newContext();
    cleanup.push(() => context.close());
    // The page's web fonts and icon CSS come from CDNs the test machine cannot reach.
    await context.route(/fonts\.googleapis\.com|cdn\.jsdelivr\.net/, (r) => r.abort());
    await context.addInitScript(([url]) => {
      if (!localStorage.getItem("server_url")) {
        localStorage.setItem("server_url", url);
        localStorage.setItem("namespace", "/ui-admin");
        localStorage.setItem("path", "/socket.io");
        localStorage.setItem("ws_only", "false");
        localStorage.setItem("lang", "en");
      }
    }, [serverUrl]);
    const page = await context.newPage();
    page.setDefaultTimeout(10000);
    return page;
  }

  it("shows the server, a Node client with its rooms, and disconnects it", async () => {
    const srv = await startInterop({ args: ["--admin-ui", "--admin-ui-server-id", "sio-under-test"] });
    cleanup.push(() => srv.stop());
    const client = await nodeClient(srv.url, "room-from-node");
    cleanup.push(async () => client.disconnect());
    const page = await uiPage(srv.url);

    await page.goto(`${ui.url}/index.html#/servers/`, { waitUntil: "domcontentloaded" });
    await page.getByText("sio-under-test").first().waitFor();

    await page.goto(`${ui.url}/index.html#/sockets/`, { waitUntil: "domcontentloaded" });
    await page.getByText(client.id).first().waitFor();

    await page.goto(`${ui.url}/index.html#/n/${encodeURIComponent("/")}/sockets/${client.id}`, { waitUntil: "domcontentloaded" });
    await page.getByText("room-from-node").first().waitFor();
    const reason = new Promise((resolve) => client.once("disconnect", resolve));
    // The socket's details come first, then its client's: each has a Disconnect (logout) icon button.
    await page.locator("button:has(i.mdi-logout)").first().click();
    assert.equal(await withTimeout(reason, 10000, "the client's disconnect"), "io server disconnect");
    await page.getByText("DISCONNECTED").first().waitFor();
  });

  it("basic auth: a wrong password is refused, the right one accepted", async () => {
    const srv = await startInterop({ args: ["--admin-ui", "--admin-ui-auth", "admin:changeit", "--admin-ui-server-id", "sio-with-auth"] });
    cleanup.push(() => srv.stop());
    const page = await uiPage(srv.url);
    await page.goto(`${ui.url}/index.html#/servers/`, { waitUntil: "domcontentloaded" });
    // No session yet: the UI's first attempt is refused and it opens its connection form.
    await page.getByLabel("Username").waitFor();
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: /^connect$/i }).click();
    await page.getByText(/invalid credentials/i).first().waitFor();
    assert.equal(await page.getByText("sio-with-auth").count(), 0, "nothing shown without the right password");

    await page.getByLabel("Password").fill("changeit");
    await page.getByRole("button", { name: /^connect$/i }).click();
    await page.getByText("sio-with-auth").first().waitFor();
  });
});
