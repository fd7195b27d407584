// The chat server of core/examples/chat/main.rs on sio-node:
//   node examples/node/chat-server.mjs [--port 3000]
// Prints `listening <port>` once bound, then one line per connection, join and disconnect.
import { Server } from '../../bindings/node/index.mjs';

const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : 3000;
const io = new Server(port, { cors: { origin: '*' } });

io.on('connection', (socket) => {
  const name = typeof socket.handshake.auth.name === 'string' ? socket.handshake.auth.name : 'anonymous';
  socket.data.name = name;
  console.log(`connect ${socket.id} as ${JSON.stringify(name)} over ${socket.conn.transport.name}`);
  socket.join('lobby');
  socket.to('lobby').emit('system', `${name} joined lobby`);

  socket.on('chat message', (text, room, ack) => {
    if (typeof room === 'function') [room, ack] = [undefined, room];
    room = typeof room === 'string' && room ? room : 'lobby';
    const msg = { user: name, text: typeof text === 'string' ? text : '', room };
    socket.to(room).emit('chat message', msg);
    if (typeof ack === 'function') ack(msg);
  });
  socket.on('join', (room, ack) => {
    if (typeof room === 'function') [room, ack] = [undefined, room];
    if (typeof room === 'string' && room) {
      socket.join(room);
      console.log(`room ${socket.id} joined ${room}`);
      socket.to(room).emit('system', `${name} joined ${room}`);
    }
    if (typeof ack === 'function') ack([...socket.rooms].filter((r) => r !== socket.id).sort());
  });
  socket.on('leave', (room) => {
    socket.leave(String(room));
    console.log(`room ${socket.id} left ${room}`);
  });
  socket.on('disconnecting', (reason) => {
    for (const room of socket.rooms) if (room !== socket.id) socket.to(room).emit('system', `${name} left (${reason})`);
  });
  socket.on('disconnect', (reason) => console.log(`disconnect ${socket.id} reason ${JSON.stringify(reason)}`));
});

console.log(`listening ${io.httpServer.address().port}`);
process.on('SIGTERM', () => io.close());
process.on('SIGINT', () => io.close());
