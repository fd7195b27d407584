// Fixtures for the headless Chromium tests: the servers under test as child processes, and Chromium.
//
//   const chat = await startChat();           // target/debug/examples/chat --port P
//   chat.url                                  -> "http://127.0.0.1:P"
//   await chat.waitForLine(/^disconnect (\S+) reason "transport close"$/, 5000)  -> the match
//   const srv = await startInterop();         // target/debug/examples/interop-server --port P
//   await srv.waitForLog((l) => l.ev === "upgrade", 5000)  -> the parsed JSON line
//   await chat.stop()
//
//   const browser = await launchBrowser();    // playwright-core + /usr/bin/chromium
//
// Overrides: SIO_CHAT_SERVER, SIO_INTEROP_SERVER (a path ending in `.js` is run with node, e.g.
// tests/interop/node/reference-server.js), SIO_CHROMIUM (the Chromium executable).
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";
import { live, freePort } from "../../support.js";
export { freePort };

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
export const CHAT_BINARY = path.resolve(process.env.SIO_CHAT_SERVER ?? path.join(root, "target/debug/examples/chat"));
export const INTEROP_BINARY = path.resolve(
  process.env.SIO_INTEROP_SERVER ?? path.join(root, "target/debug/examples/interop-server"),
);
export const CLIENT_BUNDLE = path.join(root, "tests/node_modules/socket.io-client/dist/socket.io.min.js");
/** The bundle with socket.io-msgpack-parser built in (what `serveClient` serves as socket.io.msgpack.min.js). */
export const MSGPACK_BUNDLE = path.join(root, "tests/node_modules/socket.io-client/dist/socket.io.msgpack.min.js");
export const CHROMIUM = process.env.SIO_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];



/** Rejects with a clear message if `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, what = "operation") {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Spawns `binary --port P ...args` and resolves once a stdout line matches `ready(line, port)`.
 * Every stdout line is kept (`lines`); `waitForLine(pattern, ms)` resolves with the first line
 * (already received or future) matching a RegExp (-> the match array) or a predicate (-> the line).
 */
export async function startProcess({ name, binary, args = [], ready, startTimeoutMs = 15000, port }) {
  port ??= await freePort();
  const viaNode = binary.endsWith(".js");
  const cmd = viaNode ? process.execPath : binary;
  const cmdArgs = [...(viaNode ? [binary] : []), "--port", String(port), ...args];
  const child = spawn(cmd, cmdArgs, { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);

  const lines = [];
  let stderr = "";
  const waiters = new Set();
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    // "close" (not "exit"): fires once stdout/stderr are fully read, so no line is lost
    child.on("close", (code, signal) => {
      live.delete(child);
      exitInfo = { code, signal };
      for (const w of [...waiters]) w.onExit(exitInfo);
      resolve(exitInfo);
    });
  });
  const spawnError = new Promise((resolve) => child.on("error", resolve));

  let buf = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) w.check(line);
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });

  const describe = () =>
    `${[path.basename(binary), ...cmdArgs.slice(viaNode ? 1 : 0)].join(" ")}` +
    `\n--- stdout ---\n${lines.slice(-60).join("\n")}\n--- stderr ---\n${stderr.slice(-4000)}`;

  const test = (pattern, line) => {
    if (pattern instanceof RegExp) return line.match(pattern);
    try { return pattern(line) ? line : null; } catch { return null; }
  };

  function waitForLine(pattern, timeoutMs = 5000, what = String(pattern)) {
    for (const line of lines) {
      const m = test(pattern, line);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const w = {
        check(line) {
          const m = test(pattern, line);
          if (m) { cleanup(); resolve(m); }
        },
        onExit(info) {
          cleanup();
          reject(new Error(`${name} exited (code ${info.code}, signal ${info.signal}) while waiting for ${what}\n${describe()}`));
        },
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${name} line ${what}\n${describe()}`));
      }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); waiters.delete(w); };
      waiters.add(w);
      if (exitInfo) w.onExit(exitInfo);
    });
  }

  const first = await Promise.race([
    waitForLine((l) => ready(l, port), startTimeoutMs, "its ready line").then(
      (line) => ({ kind: "ready", line }),
      (err) => ({ kind: "error", err }),
    ),
    spawnError.then((err) => ({ kind: "spawn-error", err })),
  ]);
  if (first.kind !== "ready") {
    try { child.kill("SIGKILL"); } catch { /* ignore */ }
    const why = first.kind === "spawn-error"
      ? `could not be spawned: ${first.err.message}` +
        (first.err.code === "ENOENT" ? " (build it with: cargo build -p sio-core --examples)" : "")
      : first.err.message;
    throw new Error(`${name} did not start: ${why}`);
  }

  async function stop(graceMs = 2000) {
    if (exitInfo) return exitInfo;
    child.kill("SIGTERM");
    const t = setTimeout(() => { if (!exitInfo) child.kill("SIGKILL"); }, graceMs);
    const info = await exited;
    clearTimeout(t);
    return info;
  }

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    lines,
    get stderr() { return stderr; },
    exited,
    waitForLine,
    stop,
    describe,
  };
}

/** The chat example; ready on `chat listening on http://localhost:P`. */
export function startChat(opts = {}) {
  return startProcess({
    name: "chat",
    binary: CHAT_BINARY,
    ready: (line, port) => line.trim() === `chat listening on http://localhost:${port}`,
    ...opts,
  });
}

/**
 * The interop server (tests/interop/CONTRACT.md); ready on `listening on P`. Adds `logs` (the
 * parsed JSON lines) and `waitForLog(pred, ms)`.
 */
export async function startInterop(opts = {}) {
  const srv = await startProcess({
    name: "interop-server",
    binary: INTEROP_BINARY,
    ready: (line, port) => line.trim() === `listening on ${port}`,
    ...opts,
  });
  const parse = (line) => {
    try {
      const obj = JSON.parse(line);
      return obj !== null && typeof obj === "object" ? obj : null;
    } catch { return null; }
  };
  return Object.assign(srv, {
    get logs() { return srv.lines.map(parse).filter(Boolean); },
    async waitForLog(pred, timeoutMs = 5000, what = String(pred)) {
      const line = await srv.waitForLine((l) => { const o = parse(l); return o !== null && pred(o); }, timeoutMs, what);
      return parse(line);
    },
  });
}

/** Headless Chromium through playwright-core (no browser download: the system Chromium). */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
}

/** Collects uncaught page errors and console errors so a test can assert there were none. */
export function watchPage(page, label) {
  const errors = [];
  page.on("pageerror", (err) => errors.push(`${label}: pageerror: ${err.message}`));
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(`${label}: console.error: ${msg.text()} (${msg.location().url})`); });
  page.on("response", (res) => {
    if (res.status() >= 400 && !/favicon\.ico/.test(res.url())) {
      errors.push(`${label}: HTTP ${res.status()} for ${res.request().method()} ${res.url()}` +
        (res.request().postData() ? ` body ${JSON.stringify(res.request().postData().slice(0, 200))}` : ""));
    }
  });
  page.setDefaultTimeout(10000);
  return errors;
}

/** A tiny static server: /blank.html (loads /socket.io.min.js) and the bundle. */
export async function startPageServer() {
  const bundle = readFileSync(CLIENT_BUNDLE);
  const server = createServer((req, res) => {
    if (req.url === "/blank.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end('<!doctype html><title>blank</title><script src="/socket.io.min.js"></script>');
    } else if (req.url === "/socket.io.min.js") {
      res.writeHead(200, { "content-type": "application/javascript" });
      res.end(bundle);
    } else {
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
