// Starts the interop server (tests/interop/CONTRACT.md) as a child process and collects its log.
//
//   const srv = await startServer({ args: ["--recovery"] });
//   srv.url                       -> "http://127.0.0.1:PORT"
//   srv.logs                      -> every JSON stdout line, parsed, in arrival order
//   await srv.waitForLog((l) => l.ev === "connection", 2000)
//   await srv.stop()              -> SIGTERM (then SIGKILL), resolves once the process exited
//   srv.kill("SIGKILL" | "SIGSTOP" | "SIGCONT")
//   await srv.exited              -> { code, signal }
//
// SIO_INTEROP_SERVER overrides the binary path. A path ending in `.js` is run with the current
// node binary (used to validate the suite against reference-server.js).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { live, freePort } from "../../support.js";
export { freePort };

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_BINARY = path.resolve(here, "../../../target/debug/examples/interop-server");
export const SERVER_BINARY = process.env.SIO_INTEROP_SERVER
  ? path.resolve(process.env.SIO_INTEROP_SERVER)
  : DEFAULT_BINARY;
export const USING_REFERENCE = SERVER_BINARY.endsWith(".js");



/**
 * `binary`: another program taking `--port` and printing `listening on PORT` (an example).
 * @param {{port?: number, args?: string[], startTimeoutMs?: number, binary?: string}} [options]
 */
export async function startServer({ port, args = [], startTimeoutMs = 15000, binary } = {}) {
  port ??= await freePort();
  const reference = USING_REFERENCE && !binary;
  const cmd = reference ? process.execPath : (binary ?? SERVER_BINARY);
  const cmdArgs = [...(reference ? [SERVER_BINARY] : []), "--port", String(port), ...args];
  const child = spawn(cmd, cmdArgs, { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);

  const logs = [];
  const rawLines = [];
  let stderr = "";
  const waiters = new Set();
  let onListening;
  const listening = new Promise((resolve) => (onListening = resolve));

  const exited = new Promise((resolve) => {
    // "close" (not "exit"): fires once stdout/stderr are fully read, so no log line is lost
    child.on("close", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  let exitInfo = null;
  exited.then((info) => {
    exitInfo = info;
    for (const w of waiters) w.onExit(info);
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
      handleLine(line);
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });

  function handleLine(line) {
    rawLines.push(line);
    if (line.trim() === `listening on ${port}` || /^listening on \d+\s*$/.test(line.trim())) {
      onListening(line.trim());
      return;
    }
    let obj;
    try { obj = JSON.parse(line); } catch { return; }
    if (obj === null || typeof obj !== "object") return;
    logs.push(obj);
    for (const w of [...waiters]) w.check(obj);
  }

  const describe = () =>
    `${path.basename(SERVER_BINARY)} --port ${port} ${args.join(" ")}`.trim() +
    `\n--- stdout ---\n${rawLines.slice(-40).join("\n")}\n--- stderr ---\n${stderr.slice(-4000)}`;

  const startTimer = new Promise((resolve) => {
    const t = setTimeout(() => resolve("timeout"), startTimeoutMs);
    t.unref();
  });
  const first = await Promise.race([
    listening.then((line) => ({ kind: "listening", line })),
    exited.then((info) => ({ kind: "exit", info })),
    spawnError.then((err) => ({ kind: "spawn-error", err })),
    startTimer.then(() => ({ kind: "timeout" })),
  ]);
  if (first.kind !== "listening") {
    try { child.kill("SIGKILL"); } catch { /* ignore */ }
    const why =
      first.kind === "exit" ? `exited early (code ${first.info.code}, signal ${first.info.signal})`
      : first.kind === "spawn-error" ? `could not be spawned: ${first.err.message}` +
        (first.err.code === "ENOENT" ? ` (build it with: cargo build -p sio-core --examples, or set SIO_INTEROP_SERVER)` : "")
      : `did not print "listening on ${port}" within ${startTimeoutMs} ms`;
    throw new Error(`interop server ${why}\n${describe()}`);
  }
  if (first.line !== `listening on ${port}`) {
    child.kill("SIGKILL");
    throw new Error(`interop server printed "${first.line}", expected "listening on ${port}"\n${describe()}`);
  }

  /**
   * Resolves with the first log line (already received or future) matching predicate.
   * Rejects after timeoutMs, or if the process exits first.
   */
  function waitForLog(predicate, timeoutMs = 5000, what = predicate.toString()) {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = {
        check(obj) {
          let ok = false;
          try { ok = predicate(obj); } catch { ok = false; }
          if (ok) { cleanup(); resolve(obj); }
        },
        onExit(info) {
          cleanup();
          reject(new Error(`server exited (code ${info.code}, signal ${info.signal}) while waiting for log line ${what}\n${describe()}`));
        },
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for log line ${what}\nlog so far:\n${logs.map((l) => JSON.stringify(l)).join("\n")}\n--- stderr ---\n${stderr.slice(-2000)}`));
      }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); waiters.delete(w); };
      waiters.add(w);
      if (exitInfo) w.onExit(exitInfo);
    });
  }

  function kill(signal = "SIGTERM") {
    if (exitInfo) return false;
    return child.kill(signal);
  }

  async function stop(graceMs = 2000) {
    if (exitInfo) return exitInfo;
    child.kill("SIGCONT"); // in case a test left it stopped
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
    logs,
    rawLines,
    get stderr() { return stderr; },
    exited,
    waitForLog,
    kill,
    stop,
    describe,
  };
}
