import sio from './index.js';

export const { Server, Namespace, ParentNamespace, Socket, BroadcastOperator, RemoteSocket, Engine, EngineConn, io, connect, Manager, ClientSocket, SioError, RedisAdapter, enableLogs, disableLogs, instrument } = sio;
export default sio;
