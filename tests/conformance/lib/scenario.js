// Plays one scenario (scenarios/*.json, described in ../README.md) between one server driver
// and one client driver: sends the commands of its steps, checks its expectations against what
// the drivers observe, and returns the outcome with the step that failed.
import { matches, resolve, pathGet, Unresolved } from "./match.js";
import { Proxy } from "./proxy.js";

/** Observation kinds a step names with `ev`; a step with `event` means a user event (ev "event"). */
const DEFAULT_TIMEOUT = 5000;

/** Client options every scenario starts from: quick reconnection, no jitter. */
export const CLIENT_DEFAULTS = { reconnectionDelay: 100, reconnectionDelayMax: 300, randomizationFactor: 0, timeout: 5000 };

let runSeq = 0;

class StepFailure extends Error {}

const short = (v, n = 300) => {
  const s = JSON.stringify(v);
  return s.length > n ? s.slice(0, n) + "…" : s;
};

/** One line describing a step, for reports. */
export function describeStep(step) {
  if (step.label) return step.label;
  const { as: _as, timeout: _t, ...rest } = step;
  return short(rest, 200);
}

/**
 * @param scenario  parsed scenario JSON
 * @param server    started Driver (role server)
 * @param client    started Driver (role client)
 * @param parser    the packet format of both sides: "default", or "msgpack" which the drivers get
 *                  as `options.parser` of `listen` and of every `connect` (not sent for "default")
 * @returns {Promise<{status: "pass"|"fail", step?: number, stepText?: string, message?: string, ms: number}>}
 */
export async function runScenario(scenario, server, client, { timeScale = 1, parser = "default" } = {}) {
  const started = Date.now();
  const run = ++runSeq;
  const wire = (name) => `${name}~${run}`;
  const unwire = (w) => (typeof w === "string" && w.endsWith(`~${run}`) ? w.slice(0, -`~${run}`.length) : null);

  const log = []; // { seq, src, o }
  let seq = 0;
  const waiters = new Set();
  const wake = () => { for (const w of [...waiters]) w(); };
  const clients = new Map(); // scenario name -> { ns, ids: [] }
  const serverIds = new Set();
  const vars = {};
  const varSeq = {};
  let port = null;
  let proxy = null;
  const parserOption = parser === "default" ? {} : { parser };

  server.onObservation = (o) => {
    // observations of sockets from an earlier scenario of this process are dropped
    if (o.ev === "connection") serverIds.add(o.id);
    else if (typeof o.id === "string" && !serverIds.has(o.id)) return;
    log.push({ seq: ++seq, src: "server", o });
    wake();
  };
  client.onObservation = (o) => {
    const name = unwire(o.client);
    if (name === null) return;
    o = { ...o, client: name };
    if (o.ev === "connect" && typeof o.id === "string") {
      const c = clients.get(name) ?? { ns: "/", ids: [] };
      c.ids.push(o.id);
      clients.set(name, c);
    }
    log.push({ seq: ++seq, src: "client", o });
    wake();
  };

  const lookup = (ref) => {
    if (ref.startsWith("id:")) {
      const c = clients.get(ref.slice(3));
      if (!c || c.ids.length === 0) throw new Unresolved(`client ${ref.slice(3)} has no id yet`);
      return c.ids[c.ids.length - 1];
    }
    if (ref === "port") return port;
    const [name, ...path] = ref.split(".");
    if (!(name in vars)) throw new Unresolved(`nothing saved as "${name}" yet`);
    return pathGet(vars[name], path.join("."));
  };
  const resolveNow = (v) => {
    try {
      return resolve(v, lookup);
    } catch (e) {
      if (e instanceof Unresolved) throw new StepFailure(e.message);
      throw e;
    }
  };

  /** Whether log entry `e` satisfies step `s` (an expect or absent step). */
  const fits = (s, e) => {
    const src = s.expect ?? s.absent;
    if (e.src !== src) return false;
    const o = e.o;
    const ev = s.event !== undefined ? "event" : s.ev;
    if (ev !== undefined && o.ev !== ev) return false;
    if (s.event !== undefined && o.name !== s.event) return false;
    if (s.after !== undefined && !(e.seq > (varSeq[s.after] ?? Infinity))) return false;
    if (s.client !== undefined) {
      if (src === "client") {
        if (o.client !== s.client) return false;
      } else {
        const c = clients.get(s.client);
        if (!c || !c.ids.includes(o.id)) return false;
      }
    }
    let pattern = s.match ?? {};
    if (s.args !== undefined) pattern = { ...pattern, args: s.args };
    try {
      pattern = resolve(pattern, lookup);
    } catch (err) {
      if (err instanceof Unresolved) return false;
      throw err;
    }
    return matches(pattern, o);
  };

  const recent = (src) =>
    log.filter((e) => e.src === src).slice(-12).map((e) => `    ${short(e.o, 400)}`).join("\n") || "    (none)";

  const expect = (s) => {
    const timeoutMs = (s.timeout ?? DEFAULT_TIMEOUT) * timeScale;
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        const hit = log.find((e) => !e.used && fits(s, e));
        if (!hit) return false;
        hit.used = true;
        cleanup();
        resolvePromise(hit);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const other = s.expect === "server" ? "client" : "server";
        reject(new StepFailure(`no ${s.expect} observation matched within ${timeoutMs} ms; last ${s.expect} observations:\n${recent(s.expect)}\n  last ${other} observations:\n${recent(other)}`));
      }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); waiters.delete(waiter); };
      const waiter = () => {
        try { check(); } catch (err) { cleanup(); reject(err); }
      };
      waiters.add(waiter);
      waiter();
    });
  };

  const absent = async (s) => {
    if (s.within) await new Promise((r) => setTimeout(r, s.within * timeScale));
    // observations an earlier `expect` consumed were expected: only the others count
    const hit = log.find((e) => !e.used && fits(s, e));
    if (hit) throw new StepFailure(`unexpected ${s.absent} observation: ${short(hit.o, 400)}`);
  };

  /** Waits (without consuming) until some log entry satisfies `pred`. */
  const seen = (pred, timeoutMs, what) => new Promise((resolvePromise, reject) => {
    const waiter = () => {
      if (log.some(pred)) {
        cleanup();
        resolvePromise();
      }
    };
    const timer = setTimeout(() => { cleanup(); reject(new StepFailure(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
    const cleanup = () => { clearTimeout(timer); waiters.delete(waiter); };
    waiters.add(waiter);
    waiter();
  });

  const RESERVED_STEP_KEYS = new Set(["server", "client", "as", "error", "result", "timeout", "label", "name"]);

  const command = async (s) => {
    const role = s.server !== undefined ? "server" : "client";
    const driver = role === "server" ? server : client;
    const cmd = s[role];
    let params = {};
    for (const [k, v] of Object.entries(s)) if (!RESERVED_STEP_KEYS.has(k)) params[k] = v;
    params = resolveNow(params);
    if (role === "server") {
      for (const key of ["socket", "from"]) {
        const c = typeof params[key] === "string" ? clients.get(params[key]) : undefined;
        if (c) {
          if (c.ids.length === 0) throw new StepFailure(`client ${params[key]} has no id yet`);
          params.ns ??= c.ns;
          const id = (params[key] = c.ids[c.ids.length - 1]);
          // the client may learn its id before the server has run its connection handler:
          // a command about that socket waits for the server's own connection observation
          await seen((e) => e.src === "server" && e.o.ev === "connection" && e.o.id === id,
            (s.timeout ?? DEFAULT_TIMEOUT) * timeScale, `the server's connection of ${s[key]} (${id})`);
        }
      }
    } else if (cmd === "connect") {
      const sockets = s.sockets ?? [{ name: s.name, ns: params.ns ?? "/", auth: params.auth }];
      for (const sock of sockets) {
        const c = clients.get(sock.name) ?? { ns: sock.ns ?? "/", ids: [] };
        c.ns = sock.ns ?? "/";
        clients.set(sock.name, c);
      }
      const managerName = s.manager ?? sockets[0].name;
      params = {
        manager: wire(managerName),
        url: `http://127.0.0.1:${proxy ? proxy.port : port}`,
        options: { ...CLIENT_DEFAULTS, ...(scenario.client?.options ?? {}), ...(params.options ?? {}), ...parserOption },
        sockets: resolveNow(sockets).map((x) => ({ client: wire(x.name), ns: x.ns ?? "/", ...(x.auth !== undefined ? { auth: x.auth } : {}) })),
        events: scenario.client?.events ?? [],
      };
    } else {
      if (s.name === undefined) throw new StepFailure(`client command "${cmd}" needs "name"`);
      params.client = wire(s.name);
    }
    const reply = await driver.send(cmd, params, (s.timeout ?? DEFAULT_TIMEOUT) * timeScale);
    if (s.error) {
      if (reply.ok !== false) throw new StepFailure(`expected "${cmd}" to fail, it succeeded: ${short(reply)}`);
      if (typeof s.error === "object" && !matches(resolveNow(s.error), reply)) {
        throw new StepFailure(`"${cmd}" failed, but its reply ${short(reply)} does not match ${short(s.error)}`);
      }
    } else if (reply.ok !== true) {
      throw new StepFailure(`"${cmd}" failed: ${reply.error ?? short(reply)}`);
    }
    if (s.result !== undefined) {
      const pattern = resolveNow(s.result);
      if (!matches(pattern, reply)) throw new StepFailure(`reply ${short(reply, 600)} does not match ${short(pattern, 600)}`);
    }
    return { seq: seq, o: reply };
  };

  let outcome;
  let stepIndex = -1;
  try {
    const sdef = scenario.server ?? {};
    const listen = await server.send("listen", {
      options: { ...(sdef.options ?? {}), ...parserOption },
      namespaces: sdef.namespaces ?? {},
      events: sdef.events ?? [],
    }, 15000 * timeScale);
    if (listen.ok !== true || typeof listen.port !== "number") throw new StepFailure(`server listen failed: ${listen.error ?? short(listen)}`);
    port = listen.port;
    if (scenario.proxy) {
      proxy = new Proxy(port);
      await proxy.listen();
    }
    for (stepIndex = 0; stepIndex < scenario.steps.length; stepIndex++) {
      const s = scenario.steps[stepIndex];
      let saved = null;
      if (s.expect !== undefined) saved = await expect(s);
      else if (s.absent !== undefined) await absent(s);
      else if (s.server !== undefined || s.client !== undefined) saved = await command(s);
      else if (s.proxy !== undefined) {
        if (!proxy) throw new StepFailure(`the scenario has no proxy ("proxy": true)`);
        if (typeof proxy[s.proxy] !== "function" || s.proxy === "listen" || s.proxy === "close") throw new StepFailure(`unknown proxy action ${s.proxy}`);
        proxy[s.proxy]();
      } else if (s.note === undefined) {
        throw new StepFailure(`unknown step kind`);
      }
      if (s.as && saved) {
        vars[s.as] = saved.o;
        varSeq[s.as] = saved.seq;
      }
    }
    outcome = { status: "pass" };
  } catch (err) {
    const step = scenario.steps[stepIndex];
    outcome = {
      status: "fail",
      step: stepIndex >= 0 && step ? stepIndex + 1 : 0,
      stepText: step ? describeStep(step) : "setup",
      message: err instanceof StepFailure ? err.message : (err && err.message) || String(err),
    };
  }
  // teardown: the drivers forget this scenario's clients and server
  const teardown = [];
  const cclose = await client.send("close", {}, 8000 * timeScale).catch((e) => ({ ok: false, error: e.message }));
  if (cclose.ok !== true) teardown.push(`client close: ${cclose.error}`);
  const sclose = await server.send("close", {}, 8000 * timeScale).catch((e) => ({ ok: false, error: e.message }));
  if (sclose.ok !== true) teardown.push(`server close: ${sclose.error}`);
  if (proxy) await proxy.close();
  server.onObservation = () => {};
  client.onObservation = () => {};
  outcome.teardown = teardown;
  outcome.ms = Date.now() - started;
  return outcome;
}
