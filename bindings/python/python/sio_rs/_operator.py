"""Broadcast targets (``server.to(room)``, ``BroadcastOperator``) and the sockets
``fetch_sockets`` returns (``RemoteSocket``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from ._common import check_event, seconds
from .exceptions import BadArgument

if TYPE_CHECKING:
    from .server import Server

__all__ = ["BroadcastOperator", "RemoteSocket"]


def _rooms(room: Union[str, Iterable[str]]) -> List[str]:
    if isinstance(room, str):
        return [room]
    rooms = list(room)
    if not all(isinstance(r, str) for r in rooms):
        raise BadArgument("room names must be str")
    return rooms


class RemoteSocket:
    """A snapshot returned by ``fetch_sockets``: ``id``, ``ns``, ``handshake``,
    ``rooms`` and ``data`` as they were, with operations that reach the socket."""

    def __init__(self, handle: Any) -> None:
        self._h = handle
        self.id: str = handle.id
        self.ns: str = handle.ns
        self.rooms: Set[str] = handle.rooms
        self.data: Any = handle.data

    @property
    def handshake(self) -> Dict[str, Any]:
        return self._h.handshake

    def emit(self, event: str, *args: Any) -> None:
        self._h.emit(check_event(event), args)

    def join(self, room: Union[str, Iterable[str]]) -> None:
        self._h.join(_rooms(room))

    def leave(self, room: str) -> None:
        self._h.leave(room)

    def disconnect(self, close: bool = False) -> None:
        self._h.disconnect(bool(close))

    def __repr__(self) -> str:
        return f"<RemoteSocket {self.ns} {self.id}>"


class BroadcastOperator:
    """A set of target sockets: a namespace, narrowed with ``to``/``except_``."""

    def __init__(
        self,
        server: "Server",
        ns: str,
        rooms: Sequence[str] = (),
        excepts: Sequence[str] = (),
        timeout: Optional[float] = None,
        volatile: bool = False,
        compress: bool = True,
    ) -> None:
        self._server = server
        self._ns = ns
        self._rooms = list(rooms)
        self._excepts = list(excepts)
        self._timeout = timeout
        self._volatile = volatile
        self._compress = compress

    def _with(
        self,
        rooms: Sequence[str] = (),
        excepts: Sequence[str] = (),
        timeout: Optional[float] = None,
        volatile: bool = False,
        compress: Optional[bool] = None,
    ) -> "BroadcastOperator":
        return type(self)(
            self._server,
            self._ns,
            self._rooms + list(rooms),
            self._excepts + list(excepts),
            timeout if timeout is not None else self._timeout,
            volatile or self._volatile,
            self._compress if compress is None else bool(compress),
        )

    def compress(self, flag: bool = True) -> "BroadcastOperator":
        """The same targets; ``compress(False)``: the event is not compressed (socket.io's
        flag: no permessage-deflate, no HTTP compression of a polling response holding only
        such events)."""
        return self._with(compress=flag)

    @property
    def volatile(self) -> "BroadcastOperator":
        """The same targets; the event may be dropped for a socket that is not ready to
        receive it, and is not stored for connection state recovery."""
        return self._with(volatile=True)

    def to(self, room: Union[str, Iterable[str]]) -> "BroadcastOperator":
        """Only sockets in ``room`` (several calls: in any of them)."""
        return self._with(rooms=_rooms(room))

    in_ = to

    def except_(self, room: Union[str, Iterable[str]]) -> "BroadcastOperator":
        """Not the sockets in ``room``."""
        return self._with(excepts=_rooms(room))

    def timeout(self, seconds_: float) -> "BroadcastOperator":
        """Acknowledgement timeout for ``emit_with_ack``."""
        return self._with(timeout=seconds("timeout", seconds_))

    def emit(self, event: str, *args: Any) -> None:
        self._server._native.emit(self._ns, self._rooms, self._excepts, check_event(event), args, self._volatile, self._compress)

    def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> List[List[Any]]:
        """Emits and waits for every target's answer: one list of reply arguments per
        socket. Raises ``sio.TimeoutError`` if some did not answer in time."""
        return self._server._wait_result(self._start_ack(event, args, timeout))  # type: ignore[no-any-return]

    def _start_ack(self, event: str, args: Tuple[Any, ...], timeout: Optional[float]) -> Any:
        t = timeout if timeout is not None else self._timeout
        if t is None:
            raise BadArgument("a broadcast with acknowledgements needs a timeout (timeout=seconds)")
        fut = self._server._new_future()
        self._server._native.emit_with_ack(self._ns, self._rooms, self._excepts, check_event(event), args, seconds("timeout", t), self._server._completion(fut))
        return fut

    def fetch_sockets(self) -> List[RemoteSocket]:
        """Snapshots of the target sockets (``data`` as it is now, changes in place included)."""
        self._server._store_data(every=True)
        return [RemoteSocket(h) for h in self._server._native.fetch_sockets(self._ns, self._rooms, self._excepts)]

    def sockets_join(self, room: Union[str, Iterable[str]]) -> None:
        self._server._native.sockets_join(self._ns, self._rooms, self._excepts, _rooms(room))

    def sockets_leave(self, room: str) -> None:
        self._server._native.sockets_leave(self._ns, self._rooms, self._excepts, room)

    def disconnect_sockets(self, close: bool = False) -> None:
        self._server._native.disconnect_sockets(self._ns, self._rooms, self._excepts, bool(close))
