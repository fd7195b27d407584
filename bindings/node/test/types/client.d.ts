// socket.io-client's names for this package's client, for tsconfig.typed.json's mapping of
// "socket.io-client": the package exports its client socket as `ClientSocket`.
export { io, connect, Manager, ClientSocket as Socket } from '../..';
export type { ManagerOptions, SocketOptions } from '../..';
