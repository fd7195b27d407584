'use strict';
// Runs the Python examples of an installed sio_rs against the official packages: each
// example server (sync and asyncio) with two socket.io-client sockets, and each example
// client (sync and asyncio) against a socket.io server speaking the chat protocol.
//
//   node run-examples.js PYTHON EXAMPLES_DIR
// Exits non-zero on the first failure; prints `N passed, N failed`.
const { spawn } = require('node:child_process');
const path = require('node:path');
const repo = path.resolve(__dirname, '../../..');
const { io } = require(path.join(repo, 'tests/node_modules/socket.io-client'));
const { Server } = require(path.join(repo, 'tests/node_modules/socket.io'));

const [python, examples] = process.argv.slice(2);
const TIMEOUT = 20000;

function within(promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), TIMEOUT);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function run(script, args) {
  const child = spawn(python, [path.join(examples, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d) => process.stderr.write(d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (re) =>
    within(
      new Promise((resolve) => {
        const check = () => {
          const m = out.match(re);
          if (m) resolve(m);
          else waiters.push(check);
        };
        check();
      }),
      `${script}: ${re}`,
    );
  return { child, line, exited, output: () => out };
}

const ack = (socket, ...args) => within(socket.emitWithAck(...args), `ack of ${args[0]}`);
const once = (socket, ev) => within(new Promise((r) => socket.once(ev, r)), ev);

async function exampleServer(script) {
  const srv = run(script, ['--host', '127.0.0.1', '--port', '0']);
  try {
    const [, port] = await srv.line(/listening on http:\/\/localhost:(\d+)/);
    const url = `http://127.0.0.1:${port}`;
    const ann = io(url, { auth: { name: 'ann' }, forceNew: true });
    const bob = io(url, { auth: { name: 'bob' }, forceNew: true });
    // Listen before connecting: a fast server completes the upgrade before 'connect' is seen.
    const upgraded = once(ann.io.engine, 'upgrade');
    await Promise.all([once(ann, 'connect'), once(bob, 'connect')]);
    const rooms = await ack(ann, 'join', 'cats');
    if (JSON.stringify(rooms) !== '["cats","lobby"]') throw new Error(`rooms ${JSON.stringify(rooms)}`);
    await ack(bob, 'join', 'cats');
    await upgraded; // polling, then WebSocket
    const heard = once(bob, 'chat message');
    const echo = await ack(ann, 'chat message', 'hi', 'cats');
    const want = JSON.stringify({ user: 'ann', text: 'hi', room: 'cats' });
    if (JSON.stringify(echo) !== want) throw new Error(`echo ${JSON.stringify(echo)}`);
    if (JSON.stringify(await heard) !== want) throw new Error('bob did not hear ann');
    ann.disconnect();
    bob.disconnect();
    await srv.line(/disconnect \S+ reason 'client namespace disconnect'/);
  } finally {
    srv.child.kill('SIGINT');
    await srv.exited;
  }
}

async function exampleClient(script) {
  const httpServer = require('node:http').createServer();
  const server = new Server(httpServer);
  server.on('connection', (socket) => {
    const user = socket.handshake.auth.name;
    socket.on('join', (room, cb) => {
      socket.join(room);
      cb([...socket.rooms].filter((r) => r !== socket.id).sort());
    });
    socket.on('chat message', (text, room, cb) => cb({ user, text, room }));
  });
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  const { port } = httpServer.address();
  try {
    const cl = run(script, ['--url', `http://127.0.0.1:${port}`, '--name', 'ann', '--room', 'cats', '--message', 'hello']);
    await cl.line(/rooms: cats/);
    await cl.line(/sent: \{'user': 'ann', 'text': 'hello', 'room': 'cats'\}/);
    await cl.line(/disconnected: io client disconnect/);
    const code = await within(cl.exited, `${script} exits`);
    if (code !== 0) throw new Error(`${script} exited with ${code}`);
  } finally {
    await new Promise((r) => server.close(() => r()));
  }
}

(async () => {
  const cases = [
    ['chat_server.py with socket.io-client', () => exampleServer('chat_server.py')],
    ['async_chat_server.py with socket.io-client', () => exampleServer('async_chat_server.py')],
    ['chat_client.py against socket.io', () => exampleClient('chat_client.py')],
    ['async_chat_client.py against socket.io', () => exampleClient('async_chat_client.py')],
  ];
  let passed = 0;
  let failed = 0;
  for (const [name, fn] of cases) {
    try {
      await fn();
      passed++;
      console.log(`ok    ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL  ${name}: ${e.message}`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
