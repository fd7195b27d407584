// Type-checked by test/types.test.js with `tsc --noEmit` against index.d.ts.
import { Server, io, Manager, SioError, ParentNamespace, EngineConn, instrument } from '../..';

const srv = new Server(0, { pingInterval: 1000, cors: { origin: '*' } });
srv.on('connection', (socket) => {
  socket.join('room');
  socket.on('chat message', (text: string, ack: (r: unknown) => void) => ack({ text }));
  const t: 'polling' | 'websocket' = socket.conn.transport.name;
  void t;
});
const dyn: ParentNamespace = srv.of(/^\/dyn-\d+$/, (s) => s.emit('hi'));
srv.of((name, auth, next) => next(null, name.length > 1 && !!auth));
dyn.emit('all', 1);
srv.engine.on('connection', (conn: EngineConn) => conn.on('upgrade', (tr) => tr.name));
srv.serverSideEmit('hello', (err: Error | null, responses: unknown[]) => void [err, responses]);
const responses: Promise<any[]> = srv.serverSideEmitWithAck('ping');
void responses;
instrument(srv, { auth: { type: 'basic', username: 'admin', password: '$2a$04$hash' }, mode: 'production' });
instrument(srv, { auth: false, namespaceName: '/ops', readonly: true, serverId: 'a' });

const manager = new Manager('http://127.0.0.1:3000', { reconnection: false });
const a = manager.socket('/a', { auth: { token: 't' } });
const id: string | undefined = manager.engine.id;
void id;
manager.engine.once('upgrade', (tr) => tr.name === manager.engine.transport.name);
manager.engine.on('packet', ({ type, data }) => void [type, data]);
manager.engine.on('packetCreate', (p: EnginePacket) => p.options?.compress);
manager.engine.on('close', (reason: string) => reason);
const c = io('http://127.0.0.1:3000', { forceNew: true, multiplex: false });
c.emitWithAck('x', 1).then((r) => r);
a.disconnect();
try {
  c.emit('connect');
} catch (e) {
  if (e instanceof SioError) console.log(e.code);
}
void srv.close();

// Attached to an http.Server; conn events; async auth; adapter() has nothing to set.
import { createServer } from 'node:http';
import type { EnginePacket, SioErrorCode } from '../..';
const httpServer = createServer((req, res) => res.end(req.url));
const attached = new Server(httpServer, { path: '/rt' });
attached.attach(createServer(), { destroyUpgradeTimeout: 500 });
attached.on('new_namespace', (nsp) => nsp.name);
attached.on('connection', (socket) => {
  socket.conn.on('packet', (p: EnginePacket) => (typeof p.data === 'string' ? p.data.length : p.type));
  socket.conn.on('packetCreate', ({ type }) => type);
  socket.conn.once('drain', () => socket.conn.close());
  socket.prependAnyOutgoing((ev) => ev);
});
const none: undefined = attached.adapter();
void none;
const auth = io('http://127.0.0.1:3000', { auth: (cb) => setTimeout(() => cb({ token: 'later' }), 10) });
auth.prependAnyOutgoing((ev, ...args) => void [ev, args]);
const code: SioErrorCode = 'ERR_SIO_UNSUPPORTED_ADAPTER';
void code;
// @ts-expect-error custom adapters are not supported (ERR_SIO_UNSUPPORTED_ADAPTER at runtime)
void (() => new Server({ adapter: class {} }));
// Every option of the core's table, in socket.io's shape.
void (() =>
  new Server({
    path: '/io', pingInterval: 25000, pingTimeout: 20000, upgradeTimeout: 10000, maxHttpBufferSize: 1e6, connectTimeout: 45000,
    transports: ['polling', 'websocket'], allowUpgrades: true, cors: { origin: true, credentials: true }, secure: false,
    connectionStateRecovery: { maxDisconnectionDuration: 120000, skipMiddlewares: true },
    maxBufferedBytes: 4e6, maxBufferedFrames: 8192, maxHeaderSize: 16384, headersTimeout: 30000, idleTimeout: 30000,
    maxConnections: 1000, maxAttachments: 10, perMessageDeflate: false, destroyUpgrade: false,
  }));
void (() => new Server({ perMessageDeflate: { threshold: 1024 } }));
// @ts-expect-error perMessageDeflate takes only a threshold (ERR_SIO_UNSUPPORTED at runtime)
void (() => new Server({ perMessageDeflate: { threshold: 1024, zlibDeflateOptions: {} } }));
// @ts-expect-error unknown options throw ERR_SIO_INVALID_OPTION
void (() => new Server({ fooBar: 1 }));

// The parser option: socket.io-msgpack-parser's module, or the format's name. (The module's
// own index.d.ts does not compile with skipLibCheck false; this is its shape.)
declare const msgpackParser: {
  protocol: number;
  Encoder: { new (): { encode(packet: any): ArrayBuffer } };
  Decoder: { new (): { add(obj: any): void; destroy(): void; on(event: string, listener: (...args: any[]) => void): any } };
};
void (() => new Server({ parser: msgpackParser }));
void (() => io('http://127.0.0.1:3000', { parser: msgpackParser }));
void (() => new Manager('http://127.0.0.1:3000', { parser: 'msgpack' }));
// @ts-expect-error a parser is a module with Encoder and Decoder (anything else throws a TypeError at runtime)
void (() => new Server({ parser: 'cbor' }));
