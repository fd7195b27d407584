"""Cluster adapters: how several servers behind a load balancer act as one."""
from __future__ import annotations

from .exceptions import BadArgument


class RedisAdapter:
    """A cluster through Redis, in the wire format of ``@socket.io/redis-adapter``: sio
    servers (any language) and Node.js socket.io servers using that adapter serve one
    cluster (broadcasts, rooms, ``fetch_sockets`` with ``data``, state recovery between
    sio servers)::

        server = sio.Server(adapter=sio.RedisAdapter("redis://127.0.0.1:6379"))

    Redis need not be up: meanwhile the server serves its own clients and logs it.
    """

    def __init__(self, url: str) -> None:
        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://")):
            raise BadArgument(f"RedisAdapter takes a Redis URL (redis://host:port[/db]), not {url!r}")
        self.url = url

    def __repr__(self) -> str:
        return f"RedisAdapter({self.url!r})"
