'use strict';
// index.d.ts is written by hand (native.d.ts is the napi-rs generated one); two checks keep
// it from drifting: usage.ts must type-check against it, and what it declares must be what
// the runtime has — the same exports, and for every class the same public members, read
// from live objects (a member added to lib/ without its declaration fails, and so does a
// declaration without its member).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const ts = require('typescript');
const sio = require('..');
const { once, bounded } = require('./suite');

const DTS = path.join(__dirname, '..', 'index.d.ts');

/** Runs `tsc -p test/types/<config> --listFiles`: the files it read, or a failure with tsc's report. */
function tsc(config) {
  const bin = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [bin, '-p', path.join(__dirname, 'types', config), '--listFiles'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc -p ${config} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout.split('\n').map((f) => path.resolve(f.trim()));
}

test('tsc --noEmit type-checks test/types/usage.ts against index.d.ts', () => {
  tsc('tsconfig.json');
});

// typed.ts is socket.io's typed-events code (its imports name "socket.io" and
// "socket.io-client"): it must compile against the official typings, which proves it is
// valid socket.io code, and against ours, with the same `@ts-expect-error` lines failing.
test('typed events: test/types/typed.ts compiles against index.d.ts and against socket.io\'s own typings', () => {
  const official = path.join(path.dirname(require.resolve('socket.io/package.json')), 'dist', 'index.d.ts');
  const ours = tsc('tsconfig.typed.json');
  assert.ok(ours.includes(DTS), 'tsconfig.typed.json resolves "socket.io" to index.d.ts');
  assert.ok(!ours.includes(official), 'tsconfig.typed.json does not read the official typings');
  const theirs = tsc('tsconfig.typed-official.json');
  assert.ok(theirs.includes(official), 'tsconfig.typed-official.json resolves "socket.io" to the official package');
  assert.ok(!theirs.includes(DTS), 'tsconfig.typed-official.json does not read index.d.ts');
});

/** The declarations of index.d.ts: value exports, and the members of each class/interface. */
function declared() {
  const program = ts.createProgram([DTS], { strict: true, types: ['node'], noEmit: true });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(DTS);
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(file));
  const values = new Set();
  const shapes = new Map(); // name -> Map(member -> 'method' | 'property' | 'optional')
  for (const sym of exports) {
    const s = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    if (s.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Function | ts.SymbolFlags.Variable) && sym.name !== 'default') {
      values.add(sym.name);
    }
    if (!(s.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface))) continue;
    const members = new Map();
    for (const m of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(s))) {
      // Members only node's EventEmitter/Error declare are not ours to check.
      const ours = (m.declarations || []).some((d) => d.getSourceFile() === file);
      if (!ours) continue;
      const optional = (m.flags & ts.SymbolFlags.Optional) !== 0;
      members.set(m.name, m.flags & ts.SymbolFlags.Method ? 'method' : optional ? 'optional' : 'property');
    }
    shapes.set(sym.name, members);
  }
  return { values, shapes };
}

/**
 * The public members of a live object: own keys and prototype members above EventEmitter/Error.
 * EventEmitter's own methods stay EventEmitter's even where a class redefines them (Server
 * forwards them all to `/`), as declared() leaves out those only node's typings declare.
 */
function runtimeMembers(obj) {
  const names = new Set(Object.keys(obj));
  const stop = new Set([EventEmitter.prototype, Error.prototype, Object.prototype]);
  for (let p = Object.getPrototypeOf(obj); p && !stop.has(p); p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) names.add(n);
  }
  names.delete('constructor');
  return new Set([...names].filter((n) => !n.startsWith('_') && !Object.hasOwn(EventEmitter.prototype, n)));
}

test('index.d.ts declares exactly the exports and public members of the runtime', async (t) => {
  const { values, shapes } = declared();
  assert.deepEqual([...values].sort(), Object.keys(sio).sort(), 'value exports of index.d.ts vs require()');
  const esm = await import('../index.mjs');
  assert.deepEqual([...values].sort(), Object.keys(esm).filter((k) => k !== 'default').sort(), 'value exports vs import');

  // One live object of every declared class.
  const http = require('node:http');
  const hs = http.createServer();
  const srv = new sio.Server(hs);
  t.after(() => srv.close());
  await new Promise((r) => hs.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${hs.address().port}`;
  const parent = srv.of(/^\/dyn-\d+$/);
  const engineConn = once(srv.engine, 'connection');
  const manager = new sio.Manager(url, { reconnection: false });
  const client = manager.socket('/');
  t.after(() => client.disconnect());
  const [[socket]] = await bounded(Promise.all([once(srv, 'connection'), once(client, 'connect')]));
  const [conn] = await bounded(engineConn);
  const [remote] = await srv.fetchSockets();
  const packet = once(socket.conn, 'packet');
  client.emit('hello');
  const own = new sio.Server(0);
  t.after(() => own.close());
  // The details of a `transport close`: the server closes a second client's connection.
  const other = new sio.Manager(url, { reconnection: false, transports: ['websocket'] }).socket('/');
  const [[otherSocket]] = await bounded(Promise.all([once(srv, 'connection'), once(other, 'connect')]));
  const closed = once(other, 'disconnect');
  otherSocket.conn.close();
  const [closeReason, details] = await bounded(closed);
  assert.equal(closeReason, 'transport close');
  const live = {
    DisconnectDetails: details,
    Server: srv,
    Namespace: srv.of('/'),
    ParentNamespace: parent,
    Socket: socket,
    BroadcastOperator: srv.to('r'),
    RemoteSocket: remote,
    Engine: srv.engine,
    EngineConn: conn,
    Manager: manager,
    ClientEngine: manager.engine,
    ClientSocket: client,
    SioError: new sio.SioError('ERR_SIO_RUNTIME', 'x'),
    RedisAdapter: new sio.RedisAdapter('redis://127.0.0.1:1'),
    Handshake: socket.handshake,
    FlaggedSocket: socket.timeout(1000),
    FlaggedClientSocket: client.timeout(1000),
    EnginePacket: (await bounded(packet))[0],
    OwnListener: own.httpServer,
  };
  const problems = [];
  for (const [name, obj] of Object.entries(live)) {
    const decl = shapes.get(name);
    if (!decl) {
      problems.push(`${name}: not declared in index.d.ts`);
      continue;
    }
    for (const m of runtimeMembers(obj)) if (!decl.has(m)) problems.push(`${name}.${m}: public at runtime, not in index.d.ts`);
    for (const [m, kind] of decl) {
      if (!(m in obj)) {
        if (kind !== 'optional') problems.push(`${name}.${m}: in index.d.ts, not at runtime`);
      } else if ((typeof obj[m] === 'function') !== (kind === 'method')) {
        problems.push(`${name}.${m}: declared as a ${kind}`);
      }
    }
  }
  for (const [name, Class] of Object.entries(sio)) {
    if (typeof Class === 'function' && /^[A-Z]/.test(name) && !(live[name] instanceof Class)) {
      problems.push(`${name}: the live object checked is not an instance of the exported class`);
    }
  }
  assert.deepEqual(problems, []);
  for (const name of shapes.keys()) {
    // Options and event maps (the user's events, as types) have no object to compare with.
    if (!(name in live) && /^[A-Z]/.test(name) && !name.endsWith('Options') && !name.endsWith('EventsMap')) {
      assert.fail(`${name} is declared in index.d.ts but not checked against a live object here`);
    }
  }
});
