import sio from './index.js';

export const { Server, Namespace, ParentNamespace, Socket, BroadcastOperator, RemoteSocket, io, connect, Manager, ClientSocket, SioError } = sio;
export default sio;
