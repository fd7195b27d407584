'use strict';
// sio-node: socket.io's server and socket.io-client's API on the sio Rust core.
const { Server, Namespace, ParentNamespace, Socket, BroadcastOperator, RemoteSocket, Engine, EngineConn } = require('./lib/server');
const client = require('./lib/client');
const { SioError } = require('./lib/errors');
const { RedisAdapter } = require('./lib/adapter');
const { enableLogs, disableLogs } = require('./lib/log');
const { instrument } = require('./lib/admin');

module.exports = {
  Server,
  Namespace,
  ParentNamespace,
  Socket,
  BroadcastOperator,
  RemoteSocket,
  Engine,
  EngineConn,
  io: client.io,
  connect: client.io,
  Manager: client.Manager,
  ClientSocket: client.Socket,
  SioError,
  RedisAdapter,
  enableLogs,
  disableLogs,
  instrument,
};
