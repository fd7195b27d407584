// Unit tests of the conformance runner: the matcher, and that a deliberately broken scenario
// expectation turns a cell red (played between the official socket.io server and client,
// so no build is needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { matches, resolve, Unresolved } from "./lib/match.js";
import { runMatrix, loadRegistry, loadScenarios, notApplicable } from "./runner.js";
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
