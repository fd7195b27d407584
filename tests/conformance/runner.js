#!/usr/bin/env node
// The cross-language conformance matrix: plays every scenario of scenarios/*.json for every
// server × client pair of drivers.json that can play it, writes a Markdown report and exits
// non-zero if any cell is red.
//
//   node tests/conformance/runner.js [--servers a,b] [--clients x,y] [--scenarios s1,s2]
//        [--parser default|msgpack] [--report PATH] [--concurrency N] [--no-build]
//        [--time-scale F] [--list] [--verbose]
//
// See README.md in this folder for the scenario format and the driver line protocol.
import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Driver } from "./lib/driver.js";
import { runScenario } from "./lib/scenario.js";
import { renderReport, cellStatus } from "./lib/report.js";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "../..");

/** drivers.json with its placeholders ({node}, {python}, {repo}, {here}) filled in. */
export function loadRegistry(file = path.join(HERE, "drivers.json")) {
  const raw = JSON.parse(readFileSync(file, "utf8"));
  const fill = (s) => s
    .replaceAll("{node}", process.execPath)
    .replaceAll("{python}", process.env.PYTHON ?? "python3")
    .replaceAll("{repo}", REPO)
    .replaceAll("{here}", HERE);
  const walk = (v) => (typeof v === "string" ? fill(v) : Array.isArray(v) ? v.map(walk) : v && typeof v === "object"
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v);
  const out = {};
  for (const [name, spec] of Object.entries(raw)) if (!name.startsWith("$")) out[name] = walk(spec);
  return out;
}

/** Every scenario of `dir`, sorted by file name. */
export function loadScenarios(dir = path.join(HERE, "scenarios")) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const scn = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
      scn.name ??= f.replace(/\.json$/, "");
      return scn;
    });
}

/** The packet formats of `--parser`: socket.io-parser's and socket.io-msgpack-parser's. */
export const PARSERS = ["default", "msgpack"];

/**
 * Why `scenario` cannot be played by this pair with `parser`, or null. Besides the scenario's
 * `requires` (plus its `parserRequires[parser]`, capabilities only that parser needs), a parser
 * other than the default one needs both sides to have it as a capability (`server.msgpack`,
 * `client.msgpack`), and the scenario not to be limited to other parsers (`"parsers":
 * ["default"]`, with the reason in `parsersWhy`).
 */
export function notApplicable(scenario, registry, server, client, parser = "default") {
  const missing = [];
  if (scenario.parsers && !scenario.parsers.includes(parser)) {
    missing.push(`the scenario needs the ${scenario.parsers.join(" or ")} parser${scenario.parsersWhy ? ` (${scenario.parsersWhy})` : ""}`);
  }
  if (parser !== "default") {
    for (const [role, impl] of [["server", server], ["client", client]]) {
      const caps = registry[impl][role]?.caps ?? [];
      if (!caps.includes(parser)) missing.push(`${registry[impl].label ?? impl} has no ${role}.${parser}`);
    }
  }
  for (const req of [...(scenario.requires ?? []), ...(scenario.parserRequires?.[parser] ?? [])]) {
    const [role, cap] = req.split(".");
    const impl = role === "server" ? server : client;
    const caps = registry[impl][role]?.caps ?? [];
    if (!caps.includes(cap)) missing.push(`${registry[impl].label ?? impl} has no ${req}`);
  }
  return missing.length ? missing.join("; ") : null;
}

/** Runs the build commands of the selected drivers; returns { name: error } for failed ones. */
export function buildDrivers(registry, names, log = () => {}) {
  const failed = {};
  for (const name of names) {
    for (const cmd of registry[name].build ?? []) {
      log(`build ${name}: ${cmd.join(" ")}`);
      const r = spawnSync(cmd[0], cmd.slice(1), { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      if (r.status !== 0) {
        failed[name] = `build failed: ${cmd.join(" ")}\n${(r.stderr || r.stdout || r.error?.message || "").slice(-3000)}`;
        break;
      }
    }
  }
  return failed;
}

/** Runs `jobs` (async functions) with at most `n` at a time. */
async function pool(jobs, n) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, jobs.length)) }, worker));
}

function driverFor(registry, name, role) {
  const spec = registry[name][role];
  return new Driver({ name, role, cmd: spec.cmd, cwd: HERE, env: spec.env, binary: registry[name].binary ?? "json" });
}

/**
 * Idle driver processes, handed from a finished cell to the next one that plays the same
 * implementation and role: starting them (Chromium above all) costs more than most scenarios,
 * and a driver forgets everything between two scenarios anyway (`close`).
 */
class DriverPool {
  idle = new Map(); // "name/role" -> [Driver]

  take(name, role) {
    const list = this.idle.get(`${name}/${role}`) ?? [];
    while (list.length) {
      const d = list.pop();
      if (d.alive) return d;
    }
    return null;
  }

  give(driver) {
    if (!driver?.alive) return;
    const key = driver.name;
    if (!this.idle.has(key)) this.idle.set(key, []);
    this.idle.get(key).push(driver);
  }

  async stopAll() {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((d) => d.stop()));
  }
}

/** Plays every applicable scenario of one cell; the drivers are (re)started as needed. */
async function runCell({ registry, server, client, scenarios, parser, timeScale, buildErrors, pool: drivers, log }) {
  const results = [];
  let sd = drivers?.take(server, "server") ?? null;
  let cd = drivers?.take(client, "client") ?? null;
  const brokenBuild = buildErrors[server] ?? buildErrors[client];
  try {
    for (const scn of scenarios) {
      const why = notApplicable(scn, registry, server, client, parser);
      if (why) {
        results.push({ scenario: scn.name, status: "na", why });
        continue;
      }
      if (brokenBuild) {
        results.push({ scenario: scn.name, status: "fail", step: 0, stepText: "build", message: brokenBuild });
        continue;
      }
      let r;
      try {
        if (!sd || !sd.alive) {
          sd?.kill();
          sd = driverFor(registry, server, "server");
          await sd.start(30000 * timeScale);
        }
        if (!cd || !cd.alive) {
          cd?.kill();
          cd = driverFor(registry, client, "client");
          await cd.start(60000 * timeScale);
        }
        r = await runScenario(scn, sd, cd, { timeScale, parser });
        if (r.teardown?.length) {
          // a driver that cannot close cleanly is restarted for the next scenario
          log(`  ${server} × ${client} ${scn.name}: teardown: ${r.teardown.join("; ")}`);
          sd.kill();
          cd.kill();
          sd = cd = null;
        }
        if (r.status === "fail") {
          const extra = [sd?.describe(), cd?.describe()].filter(Boolean).join("");
          if (extra && !r.message.includes("stderr ---")) r.message += extra;
        }
      } catch (err) {
        r = { status: "fail", step: 0, stepText: "driver start", message: err.message };
        sd?.kill();
        cd?.kill();
        sd = cd = null;
      }
      results.push({ scenario: scn.name, ...r });
      log(`  ${r.status === "pass" ? "ok  " : "FAIL"} ${server} × ${client} ${scn.name} (${r.ms ?? 0} ms)` +
        (r.status === "fail" ? ` step ${r.step}: ${r.message.split("\n")[0]}` : ""));
    }
  } finally {
    if (drivers) {
      drivers.give(sd);
      drivers.give(cd);
    } else {
      await Promise.all([sd?.stop(), cd?.stop()]);
    }
  }
  return { server, client, results };
}

/**
 * Plays the matrix. Returns { cells: Map("server|client" -> {results}), red: [...keys], report }.
 */
export async function runMatrix({
  registry = loadRegistry(),
  scenarios = loadScenarios(),
  servers,
  clients,
  parser = "default",
  concurrency = 3,
  timeScale = 1,
  build = true,
  reportPath = null,
  log = () => {},
} = {}) {
  const startedAt = new Date();
  if (!PARSERS.includes(parser)) throw new Error(`unknown parser ${parser} (${PARSERS.join(", ")})`);
  servers ??= Object.keys(registry).filter((n) => registry[n].server);
  clients ??= Object.keys(registry).filter((n) => registry[n].client);
  for (const n of [...servers, ...clients]) if (!registry[n]) throw new Error(`unknown driver ${n}`);
  servers = servers.filter((n) => registry[n].server);
  clients = clients.filter((n) => registry[n].client);
  const buildErrors = build ? buildDrivers(registry, [...new Set([...servers, ...clients])], log) : {};
  for (const [n, e] of Object.entries(buildErrors)) log(`driver ${n}: ${e.split("\n")[0]}`);
  const cells = new Map();
  // the heaviest clients (Chromium) first, so the slowest cells do not finish the run alone
  const order = [...clients].sort((a, b) => (registry[b].weight ?? 1) - (registry[a].weight ?? 1));
  const jobs = [];
  const drivers = new DriverPool();
  for (const c of order) {
    for (const s of servers) {
      jobs.push(async () => {
        const cell = await runCell({ registry, server: s, client: c, scenarios, parser, timeScale, buildErrors, pool: drivers, log });
        cells.set(`${s}|${c}`, cell);
        const st = cellStatus(cell.results);
        log(`cell ${s} × ${c}: ${st.status} ${st.passed}/${st.total}${st.na ? ` (${st.na} n/a)` : ""}`);
      });
    }
  }
  try {
    await pool(jobs, concurrency);
  } finally {
    await drivers.stopAll();
  }
  const ordered = new Map();
  for (const s of servers) for (const c of clients) if (cells.has(`${s}|${c}`)) ordered.set(`${s}|${c}`, cells.get(`${s}|${c}`));
  const red = [...ordered].filter(([, cell]) => cellStatus(cell.results).status === "red").map(([k]) => k);
  const report = renderReport({ registry, servers, clients, cells: ordered, scenarios, parser, startedAt, ms: Date.now() - startedAt.getTime() });
  if (reportPath) writeFileSync(reportPath, report);
  return { cells: ordered, red, report };
}

/** Where the report goes without --report: REPORT.md, or REPORT-<parser>.md for another parser. */
export function defaultReportPath(parser = "default") {
  return path.join(HERE, parser === "default" ? "REPORT.md" : `REPORT-${parser}.md`);
}

export function parseArgs(argv) {
  const opts = { concurrency: 3, timeScale: 1, build: true, parser: "default", reportPath: null, verbose: false, list: false };
  const list = (v) => v.split(",").map((x) => x.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--servers": opts.servers = list(val()); break;
      case "--clients": opts.clients = list(val()); break;
      case "--scenarios": opts.only = list(val()); break;
      case "--report": opts.reportPath = path.resolve(val()); break;
      case "--parser":
        opts.parser = val();
        if (!PARSERS.includes(opts.parser)) throw new Error(`--parser: one of ${PARSERS.join(", ")}, not ${opts.parser}`);
        break;
      case "--concurrency": opts.concurrency = Number(val()); break;
      case "--time-scale": opts.timeScale = Number(val()); break;
      case "--no-build": opts.build = false; break;
      case "--verbose": case "-v": opts.verbose = true; break;
      case "--list": opts.list = true; break;
      case "--help": case "-h":
        process.stdout.write(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 10).map((l) => l.replace(/^\/\/ ?/, "")).join("\n") + "\n");
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  opts.reportPath ??= defaultReportPath(opts.parser);
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const registry = loadRegistry();
  let scenarios = loadScenarios();
  if (opts.only) {
    const unknown = opts.only.filter((n) => !scenarios.some((s) => s.name === n));
    if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}`);
    scenarios = scenarios.filter((s) => opts.only.includes(s.name));
  }
  if (opts.list) {
    for (const s of scenarios) {
      const extra = Object.entries(s.parserRequires ?? {}).map(([p, caps]) => `\twith ${p}: ${caps.join(",")}`).join("");
      console.log(`${s.name}\t${(s.requires ?? []).join(",")}${s.parsers ? `\tparsers: ${s.parsers.join(",")}` : ""}${extra}`);
    }
    for (const [n, d] of Object.entries(registry)) {
      const parsers = PARSERS.filter((p) => p === "default" || ["server", "client"].some((r) => d[r]?.caps?.includes(p)));
      console.log(`driver ${n}\t${["server", "client"].filter((r) => d[r]).join(",")}\tparsers: ${parsers.join(",")}`);
    }
    return;
  }
  const t0 = Date.now();
  const log = (line) => {
    if (opts.verbose || !/^\s+ok /.test(line)) process.stdout.write(line + "\n");
  };
  const { red, report, cells } = await runMatrix({ registry, scenarios, servers: opts.servers, clients: opts.clients,
    parser: opts.parser, concurrency: opts.concurrency, timeScale: opts.timeScale, build: opts.build, reportPath: opts.reportPath, log });
  const table = report.split("\n").filter((l) => l.startsWith("|")).slice(0, 2 + new Set([...cells.keys()].map((k) => k.split("|")[0])).size);
  process.stdout.write(`\n${opts.parser === "default" ? "" : `parser: ${opts.parser}\n`}${table.join("\n")}\n\nreport: ${opts.reportPath} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  if (red.length) {
    process.stdout.write(`red cells: ${red.map((k) => k.replace("|", " × ")).join(", ")}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Ctrl-C: the "exit" handler of lib/driver.js kills the drivers still running
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
  main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(2);
  });
}
