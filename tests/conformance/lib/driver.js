// One driver process: commands in on stdin, one JSON object per line; replies
// (`{"re": id, "ok": ...}`) and observations (`{"ev": ...}`) out on stdout, one per line.
import { spawn } from "node:child_process";
import { toPlaceholders, fromPlaceholders } from "./binary.js";

// SIO_CONFORMANCE_TRACE=1: every line to and from every driver on stderr
const TRACE = !!process.env.SIO_CONFORMANCE_TRACE;
const trace = (name, dir, line) => {
  if (TRACE) process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${name} ${dir} ${line}\n`);
};

export const live = new Set();
process.on("exit", () => {
  for (const child of live) {
    try { child.kill("SIGKILL"); } catch { /* already gone */ }
  }
});

export class Driver {
  /**
   * @param {object} spec  { name, role, cmd: [program, ...args], cwd, env, binary: "json"|"placeholder" }
   */
  constructor(spec) {
    this.spec = spec;
    this.name = `${spec.name}/${spec.role}`;
    this.nextId = 1;
    this.pending = new Map();
    this.onObservation = () => {};
    this.stderr = "";
    this.stdoutTail = [];
    this.exited = null;
  }

  /** Spawns the process and waits for its `{"ev":"ready"}` line. */
  start(readyTimeoutMs = 30000) {
    const [program, ...args] = this.spec.cmd;
    const child = spawn(program, args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...(this.spec.env || {}) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child = child;
    live.add(child);
    child.stdin.on("error", () => {});
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => {
      this.stderr += d;
      if (this.stderr.length > 100_000) this.stderr = this.stderr.slice(-50_000);
      if (TRACE) process.stderr.write(d.replace(/^/gm, `${this.name} stderr: `));
    });
    let buf = "";
    let readyResolve;
    const ready = new Promise((resolve) => { readyResolve = resolve; });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) this.#line(line, readyResolve);
      }
    });
    const exited = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        live.delete(child);
        this.exited = { code, signal };
        for (const [, p] of this.pending) p.reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) before answering${this.#tail()}`));
        this.pending.clear();
        resolve(this.exited);
      });
      child.on("error", (err) => {
        live.delete(child);
        this.exited = { code: null, signal: null, error: err.message };
        resolve(this.exited);
      });
    });
    this.closed = exited;
    return withTimeout(
      Promise.race([
        ready,
        exited.then((e) => { throw new Error(`${this.name} exited before it was ready (${JSON.stringify(e)})${this.#tail()}`); }),
      ]),
      readyTimeoutMs,
      () => `${this.name} was not ready after ${readyTimeoutMs} ms${this.#tail()}`,
    );
  }

  #tail() {
    const err = this.stderr.trim().split("\n").slice(-15).join("\n");
    return err ? `\n--- ${this.name} stderr ---\n${err}` : "";
  }

  get alive() {
    return this.child && !this.exited;
  }

  #line(line, readyResolve) {
    trace(this.name, "<", line);
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      this.stdoutTail.push(line);
      if (this.stdoutTail.length > 20) this.stdoutTail.shift();
      return;
    }
    if (msg === null || typeof msg !== "object") return;
    if (this.spec.binary === "placeholder") msg = fromPlaceholders(msg);
    if (msg.re !== undefined) {
      const p = this.pending.get(msg.re);
      if (p) {
        this.pending.delete(msg.re);
        p.resolve(msg);
      }
      return;
    }
    if (msg.ev === "ready") {
      readyResolve(msg);
      return;
    }
    this.onObservation(msg);
  }

  /** Sends a command; resolves with the reply object (`ok` true or false). */
  send(cmd, params = {}, timeoutMs = 10000) {
    if (!this.alive) return Promise.reject(new Error(`${this.name} is not running${this.#tail()}`));
    const id = this.nextId++;
    let msg = { id, cmd, ...params };
    if (this.spec.binary === "placeholder") msg = toPlaceholders(msg);
    const reply = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const text = JSON.stringify(msg);
    trace(this.name, ">", text);
    this.child.stdin.write(text + "\n");
    return withTimeout(reply, timeoutMs, () => {
      this.pending.delete(id);
      return `${this.name} did not answer "${cmd}" within ${timeoutMs} ms${this.#tail()}`;
    });
  }

  /** Diagnostics for a failure report. */
  describe() {
    return this.#tail();
  }

  /** Asks the process to exit (stdin closed), then kills it. */
  async stop(graceMs = 3000) {
    if (!this.child || this.exited) return;
    try { this.child.stdin.end(); } catch { /* ignore */ }
    const t = setTimeout(() => { try { this.child.kill("SIGKILL"); } catch { /* ignore */ } }, graceMs);
    await this.closed;
    clearTimeout(t);
  }

  kill() {
    if (this.child && !this.exited) this.child.kill("SIGKILL");
  }
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(typeof what === "function" ? what() : what)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
