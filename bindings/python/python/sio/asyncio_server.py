"""asyncio variants: handlers may be ``async def`` and run on the user's loop."""
from __future__ import annotations

import asyncio
from typing import Any, Iterable, List, Optional, Union, cast

from ._common import AsyncRunner, check_event
from .client import Client, _unpack
from .exceptions import SocketIOError, TimeoutError
from .server import BroadcastOperator, Namespace, RemoteSocket, Server, Socket

__all__ = ["AsyncServer", "AsyncClient", "AsyncSocket", "AsyncNamespace", "AsyncBroadcastOperator"]


class AsyncBroadcastOperator(BroadcastOperator):
    async def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> List[List[Any]]:  # type: ignore[override]
        return await self._start_ack(event, args, timeout)

    async def fetch_sockets(self) -> List[RemoteSocket]:  # type: ignore[override]
        return await asyncio.get_running_loop().run_in_executor(None, BroadcastOperator.fetch_sockets, self)


class AsyncSocket(Socket):
    async def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> List[Any]:  # type: ignore[override]
        """Emits and waits for the client's answer (the reply arguments)."""
        return await self._start_ack(event, args, timeout)


class AsyncNamespace(Namespace):
    async def emit_with_ack(self, event: str, *args: Any, timeout: float) -> Any:  # type: ignore[override]
        return await cast(AsyncBroadcastOperator, self._op()).emit_with_ack(event, *args, timeout=timeout)

    async def fetch_sockets(self) -> Any:  # type: ignore[override]
        return await cast(AsyncBroadcastOperator, self._op()).fetch_sockets()


class AsyncServer(AsyncRunner, Server):
    """``sio.Server`` whose handlers run on the asyncio loop that called ``listen``;
    they may be ``async def`` (each then runs as a task)."""

    _socket_class = AsyncSocket
    _namespace_class = AsyncNamespace
    _operator_class = AsyncBroadcastOperator

    async def listen(self, host: str = "127.0.0.1", port: int = 0) -> int:  # type: ignore[override]
        self._bind_loop()
        return Server.listen(self, host, port)

    async def serve_forever(self, host: str = "0.0.0.0", port: int = 5000) -> None:  # type: ignore[override]
        if self.port is None:
            await self.listen(host, port)
        loop = asyncio.get_running_loop()
        try:
            while not self._closed.is_set():
                await loop.run_in_executor(None, self._closed.wait, 1.0)
        finally:
            await self.close()

    async def close(self) -> None:  # type: ignore[override]
        # The runtime's last events (disconnects) are posted to this loop: let them run.
        await asyncio.get_running_loop().run_in_executor(None, Server.close, self)
        await asyncio.sleep(0)

    async def emit_with_ack(self, event: str, *args: Any, timeout: float) -> Any:  # type: ignore[override]
        return await self.of("/").emit_with_ack(event, *args, timeout=timeout)

    async def fetch_sockets(self) -> Any:  # type: ignore[override]
        return await self.of("/").fetch_sockets()

    async def __aenter__(self) -> "AsyncServer":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class AsyncClient(AsyncRunner, Client):
    """``sio.Client`` whose handlers run on the asyncio loop that called ``connect``."""

    async def connect(self, wait: bool = True, timeout: Optional[float] = None) -> None:  # type: ignore[override]
        self._bind_loop()
        waiter = self._begin_connect()
        if not wait:
            return
        try:
            await asyncio.wait_for(waiter, timeout)
        except SocketIOError:
            raise
        except asyncio.TimeoutError:
            raise TimeoutError("connection timed out") from None

    async def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> List[Any]:  # type: ignore[override]
        if self._loop is None:
            self._bind_loop()
        return await self._start_ack(event, args, timeout)

    async def call(self, event: str, *args: Any, timeout: Optional[float] = 60.0) -> Any:  # type: ignore[override]
        return _unpack(await self.emit_with_ack(event, *args, timeout=timeout))

    async def wait(self, timeout: Optional[float] = None) -> bool:  # type: ignore[override]
        return await asyncio.get_running_loop().run_in_executor(None, Client.wait, self, timeout)

    async def close(self) -> None:  # type: ignore[override]
        await asyncio.get_running_loop().run_in_executor(None, Client.close, self)
        await asyncio.sleep(0)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
