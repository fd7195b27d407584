// Typed events as socket.io's TypeScript documentation writes them: this file is socket.io
// code, unchanged. test/types.test.js type-checks it twice: against this package
// (tsconfig.typed.json maps "socket.io" and "socket.io-client" to it) and against the
// official socket.io / socket.io-client typings (tsconfig.typed-official.json), so it is
// valid socket.io code and this package accepts it alike. Each `@ts-expect-error` line must
// fail in both (tsc reports an unused directive otherwise).
import { createServer } from 'node:http';
import { Server, Socket as ServerSocket, Namespace, RemoteSocket, DefaultEventsMap } from 'socket.io';
import { io, Socket, Manager } from 'socket.io-client';

interface ServerToClientEvents {
  noArg: () => void;
  basicEmit: (a: number, b: string, c: Buffer) => void;
  withAck: (d: string, callback: (e: number) => void) => void;
}

interface ClientToServerEvents {
  hello: () => void;
  chat: (text: string, ack: (reply: { ok: boolean }) => void) => void;
}

interface InterServerEvents {
  ping: () => void;
  count: (cb: (n: number) => void) => void;
}

interface SocketData {
  name: string;
  age: number;
}

const httpServer = createServer();
// The docs' `io`, renamed: this file also imports the client's `io`.
const io_ = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(httpServer);

io_.use((socket, next) => {
  socket.data.name = String(socket.handshake.auth.name);
  next();
});

io_.on('connection', (socket) => {
  socket.emit('noArg');
  socket.emit('basicEmit', 1, '2', Buffer.from([3]));
  socket.emit('withAck', '4', (e) => {
    const n: number = e; // e is inferred as number
    // @ts-expect-error e is a number (not any)
    const s: string = e;
    void [n, s];
  });
  // @ts-expect-error a number where the map says string
  socket.emit('basicEmit', '1', '2', Buffer.from([3]));
  // @ts-expect-error an event ServerToClientEvents does not have
  socket.emit('unknown');
  // @ts-expect-error noArg takes no argument
  socket.emit('noArg', 1);

  // Broadcasts: to everyone, to a room; acknowledgements of several sockets come as lists.
  io_.emit('noArg');
  io_.to('room1').emit('basicEmit', 1, '2', Buffer.from([3]));
  socket.to('room1').except('room2').emit('noArg');
  socket.broadcast.emit('basicEmit', 1, '2', Buffer.from([3]));
  io_.timeout(1000).emit('withAck', '4', (err, responses) => {
    const e: Error = err;
    const all: number[] = responses;
    // @ts-expect-error one answer per socket: a list of numbers
    const one: number = responses;
    void [e, all, one];
  });
  // @ts-expect-error io.emit to everyone cannot take an acknowledgement without a timeout
  io_.emit('withAck', '4', () => {});

  // Acknowledgements: a callback, a promise, with a timeout.
  socket.timeout(5000).emit('withAck', '4', (err, e) => {
    const n: number = e;
    void [err, n];
  });
  void (async () => {
    const one: number = await socket.emitWithAck('withAck', '4');
    const timed: number = await socket.timeout(1000).emitWithAck('withAck', '4');
    const many: number[] = await io_.timeout(1000).emitWithAck('withAck', '4');
    const room: number[] = await io_.to('room1').timeout(1000).emitWithAck('withAck', '4');
    // @ts-expect-error resolves with the number of the acknowledgement
    const wrong: string = await socket.emitWithAck('withAck', '4');
    // @ts-expect-error resolves with a list of numbers
    const wrongMany: number = await io_.timeout(1000).emitWithAck('withAck', '4');
    void [one, timed, many, room, wrong, wrongMany];
  })();

  socket.on('hello', () => {});
  socket.on('chat', (text, ack) => ack({ ok: text.length > 0 }));
  // @ts-expect-error the listener of "chat" gets a string
  socket.on('chat', (text: number) => void text);
  socket.on('disconnect', (reason) => void reason.length);

  socket.data.name = 'john';
  socket.data.age = 42;
  // @ts-expect-error age is a number
  socket.data.age = 'old';
});

io_.serverSideEmit('ping');
io_.serverSideEmit('count', (err, counts) => {
  const e: Error = err;
  const all: number[] = counts;
  void [e, all];
});
// @ts-expect-error an event InterServerEvents does not have
io_.serverSideEmit('pong');
io_.on('ping', () => {});
io_.on('count', (cb) => cb(1));
void (async () => {
  const counts: number[] = await io_.serverSideEmitWithAck('count');
  const sockets: RemoteSocket<ServerToClientEvents, SocketData>[] = await io_.in('room1').fetchSockets();
  for (const s of sockets) {
    const name: string = s.data.name;
    // @ts-expect-error data is SocketData
    const age: string = s.data.age;
    s.emit('noArg');
    void [name, age];
  }
  void counts;
})();

// Namespaces keep the types.
const admin: Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData> = io_.of('/admin');
admin.on('connection', (socket: ServerSocket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>) => {
  const age: number = socket.data.age;
  void age;
});

// Untyped code still compiles.
const plain = new Server();
plain.on('connection', (socket) => {
  socket.emit('anything', 1, { a: 2 }, (ack: unknown) => ack);
  socket.on('whatever', (...args) => args);
  socket.data.anything = true;
});
const untyped: Server<DefaultEventsMap, DefaultEventsMap> = plain;
void untyped;

// The client: the same maps, the other way round.
const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://localhost:3000');
socket.on('noArg', () => {});
socket.on('basicEmit', (a, b, c) => {
  const n: number = a; // a is inferred as number, b as string, c as Buffer
  void [n, b, c];
});
socket.on('withAck', (d, callback) => callback(d.length));
socket.on('connect_error', (err) => void err.message);
socket.emit('hello');
socket.emit('chat', 'hi', (reply) => void reply.ok);
// @ts-expect-error "hello" takes no argument
socket.emit('hello', 1);
// @ts-expect-error an event ClientToServerEvents does not have
socket.emit('bye');
// @ts-expect-error the listener of "basicEmit" gets a number first
socket.on('basicEmit', (a: string) => void a);
socket.timeout(1000).emit('chat', 'hi', (err, reply) => void [err, reply]);
void (async () => {
  const reply: { ok: boolean } = await socket.emitWithAck('chat', 'hi');
  void reply;
})();

const manager = new Manager('http://localhost:3000', { reconnection: false });
const adminSocket: Socket<ServerToClientEvents, ClientToServerEvents> = manager.socket('/admin');
adminSocket.emit('hello');
manager.on('reconnect_attempt', (attempt) => void attempt.toFixed());
