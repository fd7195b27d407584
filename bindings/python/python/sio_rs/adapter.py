"""Cluster adapters: how several servers behind a load balancer act as one."""
from __future__ import annotations

from typing import Optional

from .exceptions import BadArgument


class RedisAdapter:
    """A cluster through Redis, in the wire format of ``@socket.io/redis-adapter``: sio
    servers (any language) and Node.js socket.io servers using that adapter serve one
    cluster (broadcasts, rooms, ``fetch_sockets`` with ``data``, state recovery between
    sio servers)::

        server = sio.Server(adapter=sio.RedisAdapter("redis://127.0.0.1:6379"))

    ``kind`` picks the adapter, the same on every node of the cluster: ``"redis"`` (the
    classic pub/sub one, ``createAdapter``; the default), ``"redis-sharded"`` (Redis 7
    sharded pub/sub, ``createShardedAdapter``) or ``"redis-streams"``
    (``@socket.io/redis-streams-adapter``; with connection state recovery, sessions
    recover on any node, Node.js ones included). Another kind is a ``BadArgument`` when
    the server is created.

    Redis need not be up: meanwhile the server serves its own clients and logs it.
    """

    def __init__(self, url: str, kind: Optional[str] = None) -> None:
        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://")):
            raise BadArgument(f"RedisAdapter takes a Redis URL (redis://host:port[/db]), not {url!r}")
        self.url = url
        self.kind = kind

    def __repr__(self) -> str:
        if self.kind is None:
            return f"RedisAdapter({self.url!r})"
        return f"RedisAdapter({self.url!r}, kind={self.kind!r})"
