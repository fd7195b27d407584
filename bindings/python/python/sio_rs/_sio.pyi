# Stubs of the native module sio._sio (src/*.rs). Not public API: use `sio`.
# Every class is a pyo3 class that cannot be subclassed (@final, as stubtest checks).
from typing import Any, Callable, List, Optional, Sequence, Set, Tuple, Union

from typing_extensions import final

__all__ = [
    "Runtime",
    "EventBatch",
    "Server",
    "SocketHandle",
    "ServerSideAck",
    "Decision",
    "Leaving",
    "RemoteSocketHandle",
    "HostSocket",
    "HostCall",
    "Client",
    "ClientAck",
    "RESERVED_EVENTS",
    "SERVER_OPTION_NAMES",
    "set_log_sink",
]

RESERVED_EVENTS: List[str]
# The core's server options (sio_core::embed::SERVER_OPTION_NAMES): sio.Server takes each.
SERVER_OPTION_NAMES: List[str]

# Completion of an acknowledgement: called exactly once on a runtime thread, with
# (replies, None) or (None, exception).
_Done = Callable[[Optional[List[Any]], Optional[BaseException]], None]

@final
class Runtime:
    def __new__(cls, workers: int = 2) -> "Runtime": ...
    # Event tuples:
    #   ("connection", SocketHandle)            ("middleware", SocketHandle, Decision)
    #   ("message", SocketHandle, name, args tuple, ack id or None: answer with SocketHandle.ack)
    #   ("disconnecting", SocketHandle, reason, rooms)   ("disconnect", SocketHandle, reason)
    #   ("upgrade", conn_id, transport)  ("server_side", ns, name, args, Optional[ServerSideAck])
    #   ("client_connect", nsp)  ("client_connect_error", nsp, message, data, active)
    #   ("client_disconnect", nsp, reason, active)  ("client_message", nsp, name, args, Optional[ClientAck])
    #   ("reconnect_attempt", n)  ("reconnect", n)  ("reconnect_error", message)  ("reconnect_failed",)
    # A connected socket's events carry one SocketHandle (its middleware event another).
    def next_event(self, timeout: float) -> Optional[Tuple[Any, ...]]: ...
    # Up to `max` events, each converted to its tuple when taken from the batch.
    def next_batch(self, timeout: float, max: int) -> Optional[EventBatch]: ...
    def begin_turn(self) -> None: ...
    def end_turn(self) -> None: ...
    def shutdown(self) -> None: ...
    # (core option name, the keyword as the user spelled it, value or None for the
    # core's default), one per keyword of sio.Server; durations in seconds.
    def server(self, options: Sequence[Tuple[str, str, Any]]) -> Server: ...
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
        serializer: str,
        per_message_deflate: bool = True,
        per_message_deflate_threshold: Optional[int] = None,
    ) -> Client: ...

@final
class EventBatch:
    # The next event tuple; None once the batch is done.
    def pop(self) -> Optional[Tuple[Any, ...]]: ...
    def __iter__(self) -> "EventBatch": ...
    def __next__(self) -> Tuple[Any, ...]: ...
    def __len__(self) -> int: ...

@final
class Server:
    def namespace(self, name: str) -> None: ...
    def namespace_regex(self, pattern: str) -> None: ...
    # The pattern (as given to namespace_regex) of the dynamic parent the core made
    # namespace `name` from; None for a static one.
    def dynamic_parent(self, name: str) -> Optional[str]: ...
    def enable_middleware(self, name: str) -> None: ...
    def enable_middleware_regex(self, pattern: str) -> None: ...
    def listen(self, addr: str) -> int: ...
    def instrument(
        self,
        username: Optional[str],
        password: Optional[str],
        mode: str,
        read_only: bool,
        server_id: Optional[str],
        namespace: str,
        server_stats_interval: float,
    ) -> None: ...
    def close(self) -> None: ...
    def emit(self, ns: str, rooms: List[str], excepts: List[str], event: str, args: Sequence[Any], volatile: bool = False, compress: bool = True) -> None: ...
    def emit_with_ack(self, ns: str, rooms: List[str], excepts: List[str], event: str, args: Sequence[Any], timeout: float, callback: _Done) -> None: ...
    def fetch_sockets(self, ns: str, rooms: List[str], excepts: List[str]) -> List[RemoteSocketHandle]: ...
    def sockets_join(self, ns: str, rooms: List[str], excepts: List[str], join: List[str]) -> None: ...
    def sockets_leave(self, ns: str, rooms: List[str], excepts: List[str], room: str) -> None: ...
    def disconnect_sockets(self, ns: str, rooms: List[str], excepts: List[str], close: bool) -> None: ...
    def server_side_emit(self, ns: str, event: str, args: Sequence[Any]) -> int: ...
    def server_side_emit_with_ack(self, ns: str, event: str, args: Sequence[Any], callback: Callable[[Any, Any], None]) -> None: ...
    def server_count(self) -> int: ...
    # Inside a host's web server (src/host.rs; used by sio_rs._host).
    path: str
    max_body: int
    def handles_path(self, path: str) -> bool: ...
    # done((status, headers, body), None) once, on a runtime thread (unless cancelled).
    def handle_http(
        self,
        method: str,
        uri: str,
        headers: Sequence[Tuple[str, str]],
        remote: Optional[Tuple[str, int]],
        secure: bool,
        body: bytes,
        callback: Callable[[Any, Optional[BaseException]], None],
    ) -> HostCall: ...
    # done((HostSocket, extra headers) or (None, (status, headers, body)), None) once;
    # then send(kind, data) in order on runtime threads: ("text", str), ("binary", bytes),
    # last ("close", Optional[int]).
    def accept_websocket(
        self,
        method: str,
        uri: str,
        headers: Sequence[Tuple[str, str]],
        remote: Optional[Tuple[str, int]],
        secure: bool,
        send: Callable[[str, Any], None],
        callback: Callable[[Any, Optional[BaseException]], None],
    ) -> None: ...

@final
class HostCall:
    def cancel(self) -> None: ...

@final
class HostSocket:
    def ready(self) -> None: ...
    def written(self, n: int) -> None: ...
    def peer_closed(self) -> None: ...
    # True: keep reading; False: pause until resume() (a runtime thread); None: session over.
    def push(self, data: Union[str, bytes], resume: Callable[[], None]) -> Optional[bool]: ...

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
    def emit(self, event: str, args: Sequence[Any], volatile: bool = False, compress: bool = True) -> None: ...
    def emit_with_ack(self, event: str, args: Sequence[Any], timeout: Optional[float], callback: _Done) -> None: ...
    def broadcast_emit(self, rooms: List[str], excepts: List[str], event: str, args: Sequence[Any], volatile: bool = False) -> None: ...
    def disconnect(self, close: bool) -> None: ...
    # Answers the acknowledgement request `id` of a message (once per id): with the
    # arguments `args`, or with a handler's return value (None: none, a tuple: several,
    # anything else: one). False if the client has left.
    def ack(self, id: int, args: Sequence[Any]) -> bool: ...
    def ack_result(self, id: int, result: Any) -> bool: ...

@final
class ServerSideAck:
    def send(self, value: Any) -> bool: ...

@final
class Leaving:
    def release(self) -> None: ...

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
    def watch_manager(self) -> None: ...
    def id(self, nsp: str) -> Optional[str]: ...
    def connected(self, nsp: str) -> bool: ...
    def active(self, nsp: str) -> bool: ...
    def recovered(self, nsp: str) -> bool: ...
    def emit(self, nsp: str, event: str, args: Sequence[Any], volatile: bool = False) -> None: ...
    def emit_with_ack(self, nsp: str, event: str, args: Sequence[Any], timeout: Optional[float], callback: _Done) -> None: ...

@final
class ClientAck:
    def send(self, args: Sequence[Any]) -> bool: ...

def set_log_sink(level: Optional[int], callback: Optional[Callable[[str, str, str], None]]) -> None: ...
