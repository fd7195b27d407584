// Unit tests of the conformance runner: the matcher, and that a deliberately broken scenario
// expectation turns a cell red (played between the official socket.io server and client,
// so no build is needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { matches, resolve, Unresolved } from "./lib/match.js";
import { runMatrix, loadRegistry, loadScenarios, notApplicable, parseArgs, defaultReportPath } from "./runner.js";
import { cellStatus } from "./lib/report.js";

test("matcher: partial objects, exact arrays, binary literals, $-matchers", () => {
  assert.ok(matches({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!matches({ a: 1, c: 3 }, { a: 1, b: 2 }));
  assert.ok(!matches([1, 2], [1, 2, 3]));
  assert.ok(matches({ $prefix: [1, 2] }, [1, 2, "offset"]));
  assert.ok(matches({ $set: ["b", "a"] }, ["a", "b"]));
  assert.ok(!matches({ $set: ["a", "a"] }, ["a", "b"]));
  assert.ok(matches({ $bin: "AAE=" }, { $bin: "AAE=" }));
  assert.ok(!matches({ $bin: "AAE=" }, { $bin: "AAI=" }));
  assert.ok(!matches({ $bin: "AAE=" }, "AAE="));
  assert.ok(matches({ x: { $ne: "y" } }, { x: "z" }));
  assert.ok(matches({ x: { $absent: true } }, {}));
  assert.ok(matches({ x: { $type: "number" } }, { x: 3 }));
});

test("references: whole-string references keep their type; unknown ones are Unresolved", () => {
  const lookup = (ref) => {
    if (ref === "n") return 7;
    if (ref === "s") return "abc";
    throw new Unresolved(ref);
  };
  assert.deepEqual(resolve({ a: "${n}", b: "x-${s}", c: ["${s}"] }, lookup), { a: 7, b: "x-abc", c: ["abc"] });
  assert.throws(() => resolve("${missing}", lookup), Unresolved);
});

test("a deliberately broken expectation turns the cell red, naming the step", async () => {
  const registry = loadRegistry();
  const good = loadScenarios().find((s) => s.name === "connect-auth");
  assert.ok(good, "scenarios/connect-auth.json exists");
  const broken = structuredClone(good);
  broken.name = "connect-auth-broken";
  // the server really sees token "abc"; expect "xyz" instead
  const step = broken.steps.findIndex((s) => s.expect === "server" && s.ev === "connection");
  broken.steps[step].match.auth.token = "xyz";
  broken.steps[step].timeout = 1000;

  const { cells, red, report } = await runMatrix({
    registry,
    scenarios: [good, broken],
    servers: ["socket.io"],
    clients: ["socket.io"],
    build: false,
  });
  const cell = cells.get("socket.io|socket.io");
  const byName = Object.fromEntries(cell.results.map((r) => [r.scenario, r]));
  assert.equal(byName["connect-auth"].status, "pass", byName["connect-auth"].message);
  assert.equal(byName["connect-auth-broken"].status, "fail");
  assert.equal(byName["connect-auth-broken"].step, step + 1);
  assert.match(byName["connect-auth-broken"].message, /no server observation matched/);
  assert.deepEqual(cellStatus(cell.results), { passed: 1, failed: 1, na: 0, total: 2, status: "red" });
  assert.deepEqual(red, ["socket.io|socket.io"]);
  assert.match(report, /❌ 1\/2/);
  assert.match(report, new RegExp(`\`connect-auth-broken\`, step ${step + 1}`));
});

test("a scenario a driver cannot play is n/a, not a pass", async () => {
  const registry = loadRegistry();
  const scn = { name: "needs-magic", requires: ["server.magic"], steps: [] };
  assert.match(notApplicable(scn, registry, "socket.io", "socket.io"), /has no server\.magic/);
  const { cells, red, report } = await runMatrix({ registry, scenarios: [scn], servers: ["socket.io"], clients: ["socket.io"], build: false });
  assert.deepEqual(cellStatus(cells.get("socket.io|socket.io").results), { passed: 0, failed: 0, na: 1, total: 0, status: "na" });
  assert.deepEqual(red, []);
  assert.match(report, /\| n\/a \|/);
});

test("--parser msgpack: a side without the msgpack capability, or a scenario limited to other parsers, is n/a", async () => {
  const registry = loadRegistry();
  // a copy of socket.io's client without the capability
  registry["no-msgpack"] = structuredClone(registry["socket.io"]);
  registry["no-msgpack"].label = "no msgpack";
  registry["no-msgpack"].client.caps = registry["no-msgpack"].client.caps.filter((c) => c !== "msgpack");
  const plain = loadScenarios().find((s) => s.name === "connect-auth");
  assert.ok(plain, "scenarios/connect-auth.json exists");

  // the capability only matters in its mode
  assert.equal(notApplicable(plain, registry, "socket.io", "no-msgpack"), null);
  assert.equal(notApplicable(plain, registry, "socket.io", "no-msgpack", "default"), null);
  assert.equal(notApplicable(plain, registry, "socket.io", "no-msgpack", "msgpack"), "no msgpack has no client.msgpack");
  assert.equal(notApplicable(plain, registry, "socket.io", "socket.io", "msgpack"), null);

  // a scenario that needs the default parser, with its reason
  const wire = { name: "wire-form", parsers: ["default"], parsersWhy: "checks placeholders on the wire", steps: [] };
  assert.equal(notApplicable(wire, registry, "socket.io", "socket.io", "default"), null);
  assert.equal(notApplicable(wire, registry, "socket.io", "socket.io", "msgpack"),
    "the scenario needs the default parser (checks placeholders on the wire)");

  // capabilities a scenario needs in one mode only (parserRequires)
  const sd = loadScenarios().find((s) => s.name === "server-disconnect");
  assert.deepEqual(sd.parserRequires, { msgpack: ["server.msgpackDisconnect"] });
  assert.equal(notApplicable(sd, registry, "python-socketio", "socket.io", "default"), null);
  assert.match(notApplicable(sd, registry, "python-socketio", "socket.io", "msgpack"), /python-socketio has no server\.msgpackDisconnect/);
  assert.equal(notApplicable(sd, registry, "socket.io", "socket.io", "msgpack"), null);

  // played: the capable pair passes in msgpack mode, the other cell is n/a; the report says the mode
  const { cells, red, report } = await runMatrix({
    registry, scenarios: [plain, wire], servers: ["socket.io"], clients: ["socket.io", "no-msgpack"], parser: "msgpack", build: false,
  });
  assert.deepEqual(red, []);
  const byName = (cell) => Object.fromEntries(cells.get(cell).results.map((r) => [r.scenario, r]));
  assert.equal(byName("socket.io|socket.io")["connect-auth"].status, "pass", byName("socket.io|socket.io")["connect-auth"].message);
  assert.equal(byName("socket.io|socket.io")["wire-form"].status, "na");
  assert.deepEqual(cellStatus(cells.get("socket.io|no-msgpack").results), { passed: 0, failed: 0, na: 2, total: 0, status: "na" });
  assert.match(report, /^# Conformance matrix — msgpack parser$/m);
  assert.match(report, /runner\.js --parser msgpack/);
  assert.match(report, /no msgpack has no client\.msgpack: `connect-auth` \(1 cells\)/);
  await assert.rejects(runMatrix({ registry, scenarios: [], servers: ["socket.io"], clients: ["socket.io"], parser: "json", build: false }), /unknown parser json/);
});

test("--parser: the option, and the report file it names without --report", () => {
  assert.equal(parseArgs([]).parser, "default");
  assert.equal(parseArgs([]).reportPath, defaultReportPath("default"));
  assert.match(defaultReportPath("default"), /REPORT\.md$/);
  const o = parseArgs(["--parser", "msgpack"]);
  assert.equal(o.parser, "msgpack");
  assert.match(o.reportPath, /REPORT-msgpack\.md$/);
  assert.match(parseArgs(["--parser", "msgpack", "--report", "/tmp/x.md"]).reportPath, /^\/tmp\/x\.md$/);
  assert.throws(() => parseArgs(["--parser", "json"]), /--parser: one of default, msgpack/);
});
