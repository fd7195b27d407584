// The chat example (core/examples/chat) in headless Chromium with the official socket.io browser
// bundle it serves at /socket.io/socket.io.min.js: two users (alice, bob) in two browser contexts.
// The steps share one server and two pages and run in order.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { startChat, launchBrowser, watchPage } from "./fixture.js";

const SCREENSHOT = "/tmp/chat.png";
const T = 10000; // every wait in the browser or on the server log fails after this

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Waits until #messages on `page` holds an <li> whose text is exactly `text`. */
async function waitForMessage(page, text, what = text) {
  try {
    await page.waitForFunction(
      (t) => [...document.querySelectorAll("#messages li")].some((li) => li.textContent === t),
      text,
      { timeout: T },
    );
  } catch (err) {
    throw new Error(`${what}: no #messages entry ${JSON.stringify(text)} within ${T} ms; ` +
      `#messages = ${JSON.stringify(await messages(page))}, #status = ${JSON.stringify(await status(page))}\n${err.message}`);
  }
}
const messages = (page) => page.$$eval("#messages li", (lis) => lis.map((li) => li.textContent));
const status = (page) => page.textContent("#status");

/** Opens the chat as `name`; resolves with the socket id shown in #status once connected. */
async function openChat(context, url, name) {
  const page = await context.newPage();
  const pageErrors = watchPage(page, name);
  const websockets = [];
  page.on("websocket", (ws) => websockets.push(ws.url()));
  const handshake = page.waitForRequest((r) => /\/socket\.io\/\?EIO=4&transport=polling&t=[^&]+$/.test(r.url()), { timeout: T });
  await page.goto(`${url}/?name=${encodeURIComponent(name)}`);
  await handshake; // the Engine.IO handshake is a polling GET without sid
  await page.waitForFunction(() => /^connected \S+$/.test(document.getElementById("status").textContent), null, { timeout: T })
    .catch(async (err) => {
      throw new Error(`${name}: #status never became "connected <id>" (is ${JSON.stringify(await status(page))})\n${err.message}`);
    });
  const id = (await status(page)).slice("connected ".length);
  assert.equal(await page.evaluate(() => window.chatSocket.id), id, "#status shows the socket id");
  assert.equal(await page.inputValue("#name"), name);
  return { page, id, pageErrors, websockets };
}

describe("chat example in headless Chromium", () => {
  let chat, browser, alice, bob;

  before(async () => {
    chat = await startChat();
    browser = await launchBrowser();
  });

  after(async () => {
    // a screenshot of whatever state alice's page reached, also when a step failed
    if (alice) await alice.page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (chat) await chat.stop();
  });

  it("serves the page and the official client bundle", async () => {
    const page = await (await browser.newContext()).newPage();
    const res = await page.goto(`${chat.url}/socket.io/socket.io.min.js`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()["content-type"], /javascript/);
    const body = await res.text();
    assert.match(body, /Socket\.IO v4\./, "the official socket.io-client bundle");
    await page.context().close();
  });

  it("alice and bob both connect (status \"connected <id>\"), server logs both", async () => {
    alice = await openChat(await browser.newContext(), chat.url, "alice");
    alice.connectedOver = (await chat.waitForLine(new RegExp(`^connect ${esc(alice.id)} as "alice" over (\\w+)$`), T))[1];
    await chat.waitForLine(new RegExp(`^room ${esc(alice.id)} joined lobby$`), T);

    bob = await openChat(await browser.newContext(), chat.url, "bob");
    bob.connectedOver = (await chat.waitForLine(new RegExp(`^connect ${esc(bob.id)} as "bob" over (\\w+)$`), T))[1];
    assert.notEqual(alice.id, bob.id);
    // alice is in lobby when bob arrives
    await waitForMessage(alice.page, "bob joined lobby", "alice sees bob's arrival");
  });

  it("both transports upgrade from polling to websocket", async () => {
    for (const [name, user] of [["alice", alice], ["bob", bob]]) {
      await user.page.waitForFunction(() => window.chatSocket.io.engine.transport.name === "websocket", null, { timeout: T })
        .catch(async (err) => {
          const t = await user.page.evaluate(() => window.chatSocket.io.engine.transport.name);
          throw new Error(`${name}: transport is still ${JSON.stringify(t)}\n${err.message}`);
        });
      assert.match(user.connectedOver, /^(polling|websocket)$/);
      // The server's "upgrade connection <engine id> to websocket" line is checked further down.
      assert.equal(await user.page.evaluate(() => window.chatSocket.connected), true, `${name} still connected after upgrade`);
      // an upgrade of the polling session, not a fresh websocket connection
      const sid = await user.page.evaluate(() => window.chatSocket.io.engine.id);
      user.engineId = sid;
      assert.deepEqual(user.websockets.map((u) => new URL(u).searchParams.get("sid")), [sid], `${name}'s websockets`);
    }
  });

  it("a message alice sends with the form reaches bob; alice gets her ack", async () => {
    await alice.page.fill("#text", "hello from alice");
    await alice.page.click("#form button");
    await waitForMessage(bob.page, "alice [lobby]: hello from alice", "bob receives alice's message");
    await waitForMessage(alice.page, "me [lobby]: hello from alice", "alice's ack");
    assert.equal(await alice.page.inputValue("#text"), "", "the form clears the input");
    // the broadcast excludes the sender; it would have been queued before the ack
    assert.ok(!(await messages(alice.page)).includes("alice [lobby]: hello from alice"),
      "alice does not get her own broadcast");
  });

  it("bob joins room dev via the UI; his dev message is acked and alice (not in dev) never gets it", async () => {
    await bob.page.fill("#room", "dev");
    await bob.page.click("#join");
    await waitForMessage(bob.page, "rooms: dev, lobby", "join ack with bob's rooms");
    await chat.waitForLine(new RegExp(`^room ${esc(bob.id)} joined dev$`), T);

    await bob.page.fill("#text", "dev only");
    await bob.page.click("#form button");
    await waitForMessage(bob.page, "me [dev]: dev only", "ack of bob's message to dev");

    // Barrier: a lobby message bob sends after the dev ack arrived. Anything the server sent alice
    // for dev was queued on her connection before it, so once alice has it, she has seen all.
    await bob.page.fill("#room", "lobby");
    await bob.page.fill("#text", "back in lobby");
    await bob.page.click("#form button");
    await waitForMessage(alice.page, "bob [lobby]: back in lobby", "alice receives bob's lobby message");
    await waitForMessage(bob.page, "me [lobby]: back in lobby", "ack of bob's lobby message");

    const seen = await messages(alice.page);
    assert.deepEqual(seen.filter((m) => /\[dev\]|dev only|joined dev/.test(m)), [],
      `alice got dev traffic: ${JSON.stringify(seen)}`);
    assert.ok(!(await messages(bob.page)).some((m) => m.startsWith("bob [")), "bob does not get his own broadcasts");
  });

  it("closing bob's page: server logs disconnect with reason \"transport close\"; alice is told", async () => {
    await bob.page.close();
    const m = await chat.waitForLine(new RegExp(`^disconnect ${esc(bob.id)} reason "(.*)"$`), T);
    assert.equal(m[1], "transport close", `disconnect reason of bob: ${m[0]}`);
    await waitForMessage(alice.page, "bob left (transport close)", "alice sees bob leave");
    assert.equal(await status(alice.page), `connected ${alice.id}`, "alice stays connected");
    assert.ok(!chat.lines.some((l) => l.startsWith(`disconnect ${alice.id} `)), "alice was not disconnected");
  });

  it("server log: every connection's upgrade is logged", async () => {
    // The example watches upgrades per Engine.IO connection (io.engine "connection"), so the
    // line appears even when the upgrade finishes before the namespace connection.
    for (const [name, user] of [["alice", alice], ["bob", bob]]) {
      assert.ok(user.engineId, `${name}'s engine id was recorded`);
      await chat.waitForLine(new RegExp(`^upgrade connection ${esc(user.engineId)} to websocket$`), T);
    }
  });

  it(`screenshot of alice's page at ${SCREENSHOT}`, async () => {
    await alice.page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 1000);
  });

  it("no uncaught errors in either page", () => {
    const errors = [...alice.pageErrors, ...bob.pageErrors].filter((e) => !/favicon\.ico/.test(e));
    assert.deepEqual(errors, []);
  });
});
