"""sio: a Socket.IO v4 server and client on a Rust core.

>>> import sio_rs as sio
>>> server = sio.Server()
>>> @server.on("connection")
... def on_connection(socket):
...     @socket.on("chat")
...     def chat(msg):
...         socket.broadcast.emit("chat", msg)
...         return "ok"          # the ack answer, if the client asked for one
"""
from __future__ import annotations

from .adapter import RedisAdapter
from .asgi import ASGIApp
from .asyncio_server import AsyncBroadcastOperator, AsyncClient, AsyncNamespace, AsyncServer, AsyncSocket
from .client import Client, ClientVolatileEmitter, Manager
from .exceptions import (
    BadArgument,
    ConnectionError,
    ConnectionRefused,
    ReservedEventError,
    SocketIOError,
    TimeoutError,
)
from .reason import DisconnectDetails, DisconnectReason
from .server import BroadcastOperator, Connection, Namespace, RemoteSocket, Server, Socket, VolatileEmitter

__all__ = [
    "RedisAdapter",
    "ASGIApp",
    "Server",
    "Namespace",
    "Socket",
    "BroadcastOperator",
    "RemoteSocket",
    "Connection",
    "VolatileEmitter",
    "Client",
    "ClientVolatileEmitter",
    "Manager",
    "AsyncServer",
    "AsyncNamespace",
    "AsyncSocket",
    "AsyncBroadcastOperator",
    "AsyncClient",
    "DisconnectReason",
    "DisconnectDetails",
    "SocketIOError",
    "ConnectionError",
    "ConnectionRefused",
    "TimeoutError",
    "ReservedEventError",
    "BadArgument",
]
