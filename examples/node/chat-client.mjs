// A chat client for chat-server.mjs (or core/examples/chat):
//   node examples/node/chat-client.mjs --url http://127.0.0.1:3000 --name ann [--room r] [message...]
// Joins the room, sends each message there and prints every acknowledgement and incoming
// line as JSON, then disconnects (with --stay, keeps listening until interrupted).
import { io } from '../../bindings/node/index.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const flags = new Set(['--url', '--name', '--room']);
const messages = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !flags.has(all[i - 1]));
const url = arg('url', 'http://127.0.0.1:3000');
const room = arg('room', 'lobby');
const stay = process.argv.includes('--stay');

const socket = io(url, { auth: { name: arg('name', 'anonymous') }, reconnection: stay });
const out = (kind, data) => console.log(JSON.stringify({ kind, data }));
socket.on('chat message', (msg) => out('message', msg));
socket.on('system', (line) => out('system', line));
socket.on('connect_error', (err) => {
  out('error', err.message);
  if (!socket.active) process.exitCode = 1;
});
socket.on('connect', async () => {
  out('connected', socket.id);
  out('rooms', await socket.timeout(5000).emitWithAck('join', room));
  for (const text of messages) out('ack', await socket.timeout(5000).emitWithAck('chat message', text, room));
  if (!stay) socket.disconnect();
});
