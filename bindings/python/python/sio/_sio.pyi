# Stubs of the native module sio._sio (src/*.rs). Not public API: use `sio`.
# Every class is a pyo3 class that cannot be subclassed (@final, as stubtest checks).
from typing import Any, Callable, List, Optional, Sequence, Set, Tuple

from typing_extensions import final

__all__ = [
    "Runtime",
    "Server",
    "SocketHandle",
    "ServerAck",
    "ServerSideAck",
    "Decision",
    "RemoteSocketHandle",
    "Client",
    "ClientAck",
    "RESERVED_EVENTS",
]

RESERVED_EVENTS: List[str]

# Completion of an acknowledgement: called exactly once on a runtime thread, with
# (replies, None) or (None, exception).
_Done = Callable[[Optional[List[Any]], Optional[BaseException]], None]

@final
class Runtime:
    def __new__(cls, workers: int = 2) -> "Runtime": ...
    # Event tuples:
    #   ("connection", SocketHandle)            ("middleware", SocketHandle, Decision)
    #   ("message", SocketHandle, name, args, Optional[ServerAck])
    #   ("disconnecting", SocketHandle, reason, rooms)   ("disconnect", SocketHandle, reason)
    #   ("upgrade", conn_id, transport)  ("server_side", name, args, Optional[ServerSideAck])
    #   ("client_connect", nsp)  ("client_connect_error", nsp, message, data, active)
    #   ("client_disconnect", nsp, reason, active)  ("client_message", nsp, name, args, Optional[ClientAck])
    #   ("reconnect_attempt", n)  ("reconnect", n)  ("reconnect_error", message)  ("reconnect_failed",)
    def next_event(self, timeout: float) -> Optional[Tuple[Any, ...]]: ...
    def shutdown(self) -> None: ...
    def server(
        self,
        *,
        path: str,
        ping_interval: float,
        ping_timeout: float,
        max_http_buffer_size: int,
        cors: Optional[List[str]],
        transports: List[str],
        connect_timeout: float,
        recovery: Optional[Tuple[float, bool]],
        cluster_url: Optional[str] = ...,
    ) -> Server: ...
    def client(
        self,
        url: str,
        *,
        namespaces: List[str],
        path: str,
        auth: Any,
        transports: List[str],
        reconnection: bool,
        reconnection_attempts: Optional[int],
        reconnection_delay: float,
        reconnection_delay_max: float,
        randomization_factor: float,
        timeout: float,
        headers: List[Tuple[str, str]],
        query: List[Tuple[str, str]],
    ) -> Client: ...

@final
class Server:
    def namespace(self, name: str) -> None: ...
    def namespace_regex(self, pattern: str) -> None: ...
    def enable_middleware(self, name: str) -> None: ...
    def enable_middleware_regex(self, pattern: str) -> None: ...
    def listen(self, addr: str) -> int: ...
    def close(self) -> None: ...
    def emit(self, ns: str, rooms: List[str], excepts: List[str], event: str, args: Sequence[Any], volatile: bool = False) -> None: ...
    def emit_with_ack(self, ns: str, rooms: List[str], excepts: List[str], event: str, args: Sequence[Any], timeout: float, callback: _Done) -> None: ...
    def fetch_sockets(self, ns: str, rooms: List[str], excepts: List[str]) -> List[RemoteSocketHandle]: ...
    def sockets_join(self, ns: str, rooms: List[str], excepts: List[str], join: List[str]) -> None: ...
    def sockets_leave(self, ns: str, rooms: List[str], excepts: List[str], room: str) -> None: ...
    def disconnect_sockets(self, ns: str, rooms: List[str], excepts: List[str], close: bool) -> None: ...
    def server_side_emit(self, event: str, args: Sequence[Any]) -> int: ...
    def server_side_emit_with_ack(self, event: str, args: Sequence[Any], callback: Callable[[Any, Any], None]) -> None: ...
    def server_count(self) -> int: ...

@final
class SocketHandle:
    id: str
    ns: str
    handshake: Any
    rooms: Set[str]
    data: Any
    recovered: bool
    connected: bool
    transport: str
    conn_id: str
    def join(self, rooms: List[str]) -> None: ...
    def leave(self, room: str) -> None: ...
    def emit(self, event: str, args: Sequence[Any], volatile: bool = False) -> None: ...
    def emit_with_ack(self, event: str, args: Sequence[Any], timeout: Optional[float], callback: _Done) -> None: ...
    def broadcast_emit(self, rooms: List[str], excepts: List[str], event: str, args: Sequence[Any], volatile: bool = False) -> None: ...
    def disconnect(self, close: bool) -> None: ...

@final
class ServerAck:
    def send(self, args: Sequence[Any]) -> bool: ...

@final
class ServerSideAck:
    def send(self, value: Any) -> bool: ...

@final
class Decision:
    def accept(self) -> None: ...
    def refuse(self, message: str, data: Any = None) -> None: ...

@final
class RemoteSocketHandle:
    id: str
    ns: str
    handshake: Any
    rooms: Set[str]
    data: Any
    def emit(self, event: str, args: Sequence[Any]) -> None: ...
    def join(self, rooms: List[str]) -> None: ...
    def leave(self, room: str) -> None: ...
    def disconnect(self, close: bool) -> None: ...

@final
class Client:
    namespaces: List[str]
    def connect(self, namespaces: List[str]) -> None: ...
    def disconnect(self, namespaces: List[str]) -> None: ...
    def id(self, nsp: str) -> Optional[str]: ...
    def connected(self, nsp: str) -> bool: ...
    def active(self, nsp: str) -> bool: ...
    def recovered(self, nsp: str) -> bool: ...
    def emit(self, nsp: str, event: str, args: Sequence[Any]) -> None: ...
    def emit_with_ack(self, nsp: str, event: str, args: Sequence[Any], timeout: Optional[float], callback: _Done) -> None: ...

@final
class ClientAck:
    def send(self, args: Sequence[Any]) -> bool: ...
