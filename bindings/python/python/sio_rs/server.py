"""The blocking server: ``sio.Server``, its namespaces and sockets."""
from __future__ import annotations

import contextvars
import os
import re
import sys
import threading
import weakref
from typing import Any, Callable, Dict, Iterable, List, Optional, Pattern, Sequence, Set, Tuple, Union

from . import _log, _sio
from ._common import (
    _live,
    Handler,
    Handlers,
    Pump,
    Registry,
    Runner,
    ack_sender,
    add_listener,
    check_event,
    check_user_event,
    log_handler_error,
    logger,
    remove_listener,
    seconds,
)
from .adapter import RedisAdapter
from .exceptions import BadArgument, ConnectionError, ConnectionRefused, SocketIOError
from .reason import DisconnectReason
from ._operator import BroadcastOperator, RemoteSocket, _rooms
from ._options import _server_options

__all__ = ["Server", "Namespace", "Socket", "BroadcastOperator", "RemoteSocket", "Connection"]

_CONNECT_EVENTS = ("connection", "connect")

# (socket, rooms) while the `disconnecting` handlers of that socket run: the core has
# left the rooms by the time Python sees the event. A context variable, so that an
# `async def` handler (a task, which copies the context) sees them too.
_disconnecting: "contextvars.ContextVar[Optional[Tuple[Socket, Set[str]]]]" = contextvars.ContextVar("sio_disconnecting", default=None)

# `Socket.data` not read yet from the core.
_UNSET: Any = object()


def _reason(value: str) -> Union[DisconnectReason, str]:
    try:
        return DisconnectReason(value)
    except ValueError:  # a reason newer than this enum: still a str
        return value


class Socket:
    """One client connected to one namespace.

    Any attribute may be set on it (``socket.user = ...``); ``data`` is the value
    ``fetch_sockets`` sees (and connection state recovery keeps): assigned
    (``socket.data = {...}``) or changed in place (``socket.data["x"] = 1``).
    """

    def __init__(self, server: "Server", handle: Any) -> None:
        self._server = server
        self._h = handle
        # Read once (each read of the handle's makes a new str); the server's key of the
        # socket holds these same objects, and the namespace name is shared by its sockets.
        self._id: str = handle.id
        self._ns: str = sys.intern(handle.ns)
        # Its Namespace object, once an event looked it up.
        self._nsobj: Optional[Namespace] = None
        self._events = Registry()
        self._any: List[Handler] = []
        self._any_outgoing: List[Handler] = []
        self._middlewares: List[Handler] = []
        self._conn: Optional[Connection] = None
        # The Python object `data` returns (the core holds a converted copy, written
        # back by `Server._store_data`).
        self._data: Any = _UNSET
        # AsyncServer: done once the `connection` handlers have finished (see there).
        self._gate: Any = None

    # ---------------------------------------------------------------- state
    @property
    def id(self) -> str:
        return self._id

    @property
    def namespace(self) -> str:
        return self._ns

    @property
    def handshake(self) -> Dict[str, Any]:
        """headers, time, address, xdomain, secure, issued, url, query, auth."""
        return self._h.handshake

    @property
    def rooms(self) -> Set[str]:
        """The rooms the socket is in (in ``disconnecting`` handlers: was in)."""
        leaving = _disconnecting.get()
        if leaving is not None and leaving[0] is self:
            return set(leaving[1])
        return self._h.rooms

    @property
    def data(self) -> Any:
        """Free data, sendable values only, seen by ``fetch_sockets``. The same object at
        every read: changes in place are written back to the core when the handler that
        made them returns, and before every ``fetch_sockets``."""
        if self._data is _UNSET:
            self._data = self._h.data
        self._server._touch(self)
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._h.data = value  # raises BadArgument now for what cannot be sent
        self._data = value
        self._server._touch(self)

    def _store_data(self) -> None:
        if self._data is not _UNSET:
            self._h.data = self._data

    @property
    def recovered(self) -> bool:
        return self._h.recovered

    @property
    def connected(self) -> bool:
        return self._h.connected

    @property
    def transport(self) -> str:
        """``"polling"`` or ``"websocket"`` (the current one: it changes on upgrade)."""
        return self._h.transport

    @property
    def conn(self) -> "Connection":
        """The underlying Engine.IO connection (shared by the client's namespaces):
        ``conn.transport``, ``conn.on("upgrade", handler(transport))``."""
        if self._conn is None:
            self._conn = self._server._connection(self._h)
        return self._conn

    # ---------------------------------------------------------------- rooms
    def join(self, room: Union[str, Iterable[str]]) -> None:
        self._h.join(_rooms(room))

    def leave(self, room: str) -> None:
        self._h.leave(room)

    # ---------------------------------------------------------------- emitting
    def emit(self, event: str, *args: Any) -> None:
        self._notify_outgoing(check_user_event(event), args)
        self._h.emit(event, args)

    @property
    def volatile(self) -> "VolatileEmitter":
        """``socket.volatile.emit(...)``: the event may be dropped if the client is not
        ready to receive it, and is not stored for connection state recovery."""
        return VolatileEmitter(self)

    def compress(self, flag: bool = True) -> "VolatileEmitter":
        """``socket.compress(False).emit(...)``: the event is not compressed (socket.io's
        flag: no permessage-deflate, no HTTP compression of a polling response holding
        only such events)."""
        return VolatileEmitter(self, volatile=False, compress=flag)

    def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> List[Any]:
        """Emits and blocks until the client answers: returns the reply arguments.
        Raises ``sio.TimeoutError`` after ``timeout`` seconds, ``sio.ConnectionError``
        if the client disconnects first."""
        return self._server._wait_result(self._start_ack(event, args, timeout))  # type: ignore[no-any-return]

    def _start_ack(self, event: str, args: Tuple[Any, ...], timeout: Optional[float]) -> Any:
        t = None if timeout is None else seconds("timeout", timeout)
        fut = self._server._new_future()
        self._notify_outgoing(check_user_event(event), args)
        self._h.emit_with_ack(event, args, t, self._server._completion(fut))
        return fut

    def _notify_outgoing(self, event: str, args: Tuple[Any, ...]) -> None:
        for fn in list(self._any_outgoing):
            try:
                fn(event, *args)
            except Exception as e:
                log_handler_error(fn, e)

    def _operator(self) -> BroadcastOperator:
        # Every socket is in the room named after its id: excepting it excludes the sender.
        return self._server._operator(self.namespace, excepts=[self.id])

    def to(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        """The other sockets in ``room``."""
        return self._operator().to(room)

    in_ = to

    def except_(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        return self._operator().except_(room)

    @property
    def broadcast(self) -> BroadcastOperator:
        """Every other socket of the namespace."""
        return self._operator()

    def disconnect(self, close: bool = False) -> None:
        """Leaves the namespace (``server namespace disconnect``); with ``close``,
        closes the whole connection."""
        self._h.disconnect(bool(close))

    # ---------------------------------------------------------------- handlers
    def on(self, event: str, handler: Optional[Handler] = None) -> Any:
        """Registers ``handler(*args)`` for ``event`` (also ``disconnecting`` and
        ``disconnect``, which get a ``sio.DisconnectReason``). If the client asked for
        an acknowledgement, the return value is sent as the answer, unless the handler
        takes an ``ack`` parameter and calls it itself (``ack`` is None when no answer
        was asked for). Usable as a decorator."""
        return self._events.on(event, handler)

    def on_any(self, handler: Handler) -> Handler:
        """Registers ``handler(event, *args)`` for every incoming event, run before the
        packet middleware (``use``), as socket.io's ``onAny``."""
        return add_listener(self._any, handler)

    def prepend_any(self, handler: Handler) -> Handler:
        """``on_any``, run before the listeners already registered."""
        return add_listener(self._any, handler, first=True)

    def off_any(self, handler: Optional[Handler] = None) -> None:
        """Removes ``handler`` from the ``on_any`` listeners, or all of them."""
        remove_listener(self._any, handler)

    def listeners_any(self) -> List[Handler]:
        """The ``on_any`` listeners, in the order they run."""
        return list(self._any)

    def on_any_outgoing(self, handler: Handler) -> Handler:
        """Registers ``handler(event, *args)`` for every event this socket emits
        (``emit``, ``volatile.emit``, ``emit_with_ack``; not broadcasts). It is called
        synchronously by the emitting thread before the event is queued (as socket.io: a
        change it makes to a mutable argument is sent)."""
        return add_listener(self._any_outgoing, handler)

    def prepend_any_outgoing(self, handler: Handler) -> Handler:
        """``on_any_outgoing``, run before the listeners already registered."""
        return add_listener(self._any_outgoing, handler, first=True)

    def off_any_outgoing(self, handler: Optional[Handler] = None) -> None:
        """Removes ``handler`` from the ``on_any_outgoing`` listeners, or all of them."""
        remove_listener(self._any_outgoing, handler)

    def listeners_any_outgoing(self) -> List[Handler]:
        """The ``on_any_outgoing`` listeners, in the order they run."""
        return list(self._any_outgoing)

    def use(self, middleware: Handler) -> Handler:
        """Per-packet middleware ``middleware(event, args)``: raising stops the event
        and calls the socket's ``error`` handlers with the exception. ``args`` is a
        list the middleware may change."""
        self._middlewares.append(middleware)
        return middleware

    def __repr__(self) -> str:
        return f"<Socket {self.namespace} {self.id}>"


class VolatileEmitter:
    """``socket.volatile`` (emits that may be dropped, see ``Socket.volatile``) and
    ``socket.compress(flag)``; the flags combine: ``socket.volatile.compress(False)``."""

    def __init__(self, socket: Socket, volatile: bool = True, compress: bool = True) -> None:
        self._socket = socket
        self._volatile = volatile
        self._compress = compress

    @property
    def volatile(self) -> "VolatileEmitter":
        return VolatileEmitter(self._socket, True, self._compress)

    def compress(self, flag: bool = True) -> "VolatileEmitter":
        return VolatileEmitter(self._socket, self._volatile, bool(flag))

    def emit(self, event: str, *args: Any) -> None:
        self._socket._notify_outgoing(check_user_event(event), args)
        self._socket._h.emit(event, args, self._volatile, self._compress)


class Connection:
    """The Engine.IO connection under a socket (``socket.conn``)."""

    def __init__(self, server: "Server", conn_id: str, handle: Any) -> None:
        self._server = server
        self._h = handle
        self.id = conn_id
        self._events = Registry()

    @property
    def transport(self) -> str:
        """The current transport: ``"polling"`` or ``"websocket"``."""
        return self._h.transport  # type: ignore[no-any-return]

    def on(self, event: str, handler: Optional[Handler] = None) -> Any:
        """``upgrade``: ``handler(transport)`` once the connection has switched to
        ``transport`` (``"websocket"``). Runs on the dispatcher thread."""
        if event != "upgrade":
            raise BadArgument('a connection has one event: "upgrade"')
        return self._events.on(event, handler)

    def __repr__(self) -> str:
        return f"<Connection {self.id} {self.transport}>"


# Python's flags that Rust's `regex` spells the same way as inline flags.
_INLINE_FLAGS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))


def _core_pattern(pattern: Pattern[str]) -> str:
    """A compiled pattern as the core compiles it (its source, with its flags inline)."""
    flags = "".join(c for flag, c in _INLINE_FLAGS if pattern.flags & flag)
    return f"(?{flags}){pattern.pattern}" if flags else pattern.pattern


class Namespace:
    """A namespace of a server (``server.of(name)``), or, for ``server.of(re.compile(...))``,
    the parent of the dynamic namespaces whose names match: its handlers apply to each
    child (``server.of("/dyn-1")``) and ``emit`` reaches every child."""

    def __init__(self, server: "Server", name: str, parent: Optional["Namespace"] = None, pattern: Optional[Pattern[str]] = None) -> None:
        self.server = server
        self.name = name
        self.parent = parent
        self.pattern = pattern
        self._events = Registry()
        self._middlewares: List[Handler] = []
        self._children: List[Namespace] = []

    def _handlers(self, event: str) -> Handlers:
        own = self._events.get(event)
        return own + self.parent._handlers(event) if self.parent is not None else own

    @property
    def children(self) -> List["Namespace"]:
        """A dynamic parent's namespaces created so far (one per name a client used)."""
        return list(self._children)

    def on(self, event: str, handler: Optional[Handler] = None) -> Any:
        """``connection`` (alias ``connect``) gets ``handler(socket)``; ``disconnecting``
        and ``disconnect`` get ``handler(socket, reason)``; any other event
        ``handler(socket, *args)`` when the socket has no handler of its own for it."""
        return self._events.on(event, handler)

    def use(self, middleware: Handler) -> Handler:
        """Connection middleware ``middleware(socket)``: raise
        ``sio.ConnectionRefused(message, data)`` to refuse the client. On a dynamic
        parent it runs for every connection to a matching name (``socket.namespace``
        is that name)."""
        if not callable(middleware):
            raise BadArgument("middleware must be callable")
        if self.parent is not None:
            # The core shares one middleware list between a parent and its children.
            raise SocketIOError(f"{self.name} is a dynamic namespace: its middlewares are its parent's ({self.parent.name}.use)")
        if not self._middlewares:
            if self.pattern is not None:
                self.server._native.enable_middleware_regex(_core_pattern(self.pattern))
            else:
                self.server._native.enable_middleware(self.name)
        self._middlewares.append(middleware)
        return middleware

    def _middleware_chain(self) -> List[Handler]:
        own = list(self._middlewares)
        return own + self.parent._middleware_chain() if self.parent is not None else own

    @property
    def sockets(self) -> Dict[str, Socket]:
        """The connected sockets of this namespace (of a dynamic parent: of its children) by id."""
        names = {c.name for c in self._children} if self.pattern is not None else {self.name}
        return {s.id: s for (ns, _), s in list(self.server._sockets.items()) if ns in names}

    def _op(self) -> BroadcastOperator:
        if self.pattern is not None:
            raise SocketIOError("a dynamic parent namespace only supports emit; use server.of(child_name)")
        return self.server._operator(self.name)

    def emit(self, event: str, *args: Any) -> None:
        if self.pattern is not None:
            check_event(event)
            for child in list(self._children):
                child.emit(event, *args)
            return
        self._op().emit(event, *args)

    @property
    def volatile(self) -> BroadcastOperator:
        return self._op().volatile

    def compress(self, flag: bool = True) -> BroadcastOperator:
        """``compress(False)``: the event is sent uncompressed (see ``BroadcastOperator.compress``)."""
        return self._op().compress(flag)

    def emit_with_ack(self, event: str, *args: Any, timeout: float) -> Any:
        return self._op().emit_with_ack(event, *args, timeout=timeout)

    def to(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        return self._op().to(room)

    in_ = to

    def except_(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        return self._op().except_(room)

    def timeout(self, seconds_: float) -> BroadcastOperator:
        return self._op().timeout(seconds_)

    def fetch_sockets(self) -> Any:
        return self._op().fetch_sockets()

    def sockets_join(self, room: Union[str, Iterable[str]]) -> None:
        self._op().sockets_join(room)

    def sockets_leave(self, room: str) -> None:
        self._op().sockets_leave(room)

    def disconnect_sockets(self, close: bool = False) -> None:
        self._op().disconnect_sockets(close)


class Server(Runner):
    """A Socket.IO server. Durations are in seconds.

    ``listen(host, port)`` serves in the background and returns the bound port;
    ``serve_forever()`` blocks until ``close()`` (or Ctrl-C). The methods of the
    namespace ``/`` (``on``, ``use``, ``emit``, ``to``, ``fetch_sockets``...) are
    available on the server itself. Handlers run one at a time on the server's
    dispatcher thread.

    Options (keyword only; ``None``, the default, keeps the core's default — the table
    in the README): python-socketio's names where it has the option
    (``cors_allowed_origins``, ``cors_credentials``, ``ping_interval``, ``ping_timeout``,
    ``max_http_buffer_size``, ``transports``, ``allow_upgrades``,
    ``connection_state_recovery``), the core's otherwise. No CORS headers are sent unless
    ``cors_allowed_origins`` is given (``"*"``, a list of origins, or ``True`` to reflect
    any origin). An unknown keyword raises ``TypeError``; a bad value or a contradiction
    (``cors_credentials`` without ``cors_allowed_origins``) raises ``sio.BadArgument``.

    TLS: ``tls_cert`` (the certificate chain, leaf first) and ``tls_key`` (its private
    key), each a PEM file path (``str`` or ``os.PathLike``), PEM text (a ``str`` starting
    with ``-----BEGIN``) or PEM ``bytes``, make ``listen`` serve https and wss
    (``socket.handshake["secure"]`` is then true). Both or neither; an unreadable file,
    invalid PEM or a key of another certificate raises ``sio.BadArgument`` here.

    Sticky sessions behind a load balancer: ``cookie`` (python-socketio's) sets the session
    cookie on each handshake — ``True`` for engine.io's ``io=<sid>; Path=/; HttpOnly;
    SameSite=Lax``, a ``str`` for another name, or a dict with ``name`` and the attributes
    ``path``, ``domain``, ``secure``, ``httponly``, ``samesite`` and ``max_age`` (seconds).

    ``serializer`` (python-socketio's): ``"default"`` (socket.io-parser) or ``"msgpack"``
    (socket.io-msgpack-parser's packets; clients must use it too). Anything else, such as
    ``"pickle"``, ``"cbor"`` or a ``Packet`` subclass, raises ``sio.BadArgument``.

    ``http_compression`` and ``compression_threshold`` (python-engineio's): polling responses
    of at least ``compression_threshold`` bytes (default 1024) are gzip/deflate-compressed for
    requests that accept it (default on). ``per_message_deflate=True`` (socket.io's
    ``perMessageDeflate``, default off) compresses WebSocket messages of at least
    ``per_message_deflate_threshold`` bytes (default 1024) for clients that offer
    permessage-deflate; ``socket.compress(False)`` / ``compress(False)`` on a broadcast
    sends one uncompressed. ``allow_eio3=True`` also serves socket.io-client
    2.x (Engine.IO 3), as socket.io's ``allowEIO3``, for migrations.
    """

    _socket_class = Socket
    _namespace_class = Namespace
    _operator_class = BroadcastOperator

    def __init__(
        self,
        *,
        path: Optional[str] = None,
        ping_interval: Optional[float] = None,
        ping_timeout: Optional[float] = None,
        upgrade_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_http_buffer_size: Optional[int] = None,
        transports: Union[str, Sequence[str], None] = None,
        allow_upgrades: Optional[bool] = None,
        cors_allowed_origins: Union[str, Sequence[str], bool, None] = None,
        cors_credentials: Optional[bool] = None,
        connection_state_recovery: Union[bool, Dict[str, Any], None] = None,
        secure: Optional[bool] = None,
        max_buffered_bytes: Optional[int] = None,
        max_buffered_frames: Optional[int] = None,
        max_header_size: Optional[int] = None,
        headers_timeout: Optional[float] = None,
        idle_timeout: Optional[float] = None,
        max_connections: Optional[int] = None,
        max_attachments: Optional[int] = None,
        serializer: str = "default",
        http_compression: Optional[bool] = None,
        compression_threshold: Optional[int] = None,
        per_message_deflate: Optional[bool] = None,
        per_message_deflate_threshold: Optional[int] = None,
        allow_eio3: Optional[bool] = None,
        tls_cert: Union[str, os.PathLike[str], bytes, None] = None,
        tls_key: Union[str, os.PathLike[str], bytes, None] = None,
        cookie: Union[bool, str, Dict[str, Any], None] = None,
        adapter: Optional[RedisAdapter] = None,
        logger: _log.LoggerFlag = False,
        engineio_logger: _log.LoggerFlag = False,
    ) -> None:
        # Every keyword but the logging flags goes to the core as it is (`None`: the
        # core's default); the core checks them. A new option of the core is one more
        # keyword here (and its line in the README).
        _log.attach(logger, engineio_logger)
        options = _server_options(locals())
        self._runtime = _sio.Runtime()
        self._native = self._runtime.server(options)
        self._namespaces: Dict[str, Namespace] = {"/": self._namespace_class(self, "/")}
        self._upgrade_handlers: List[Handler] = []
        self._server_side: Dict[str, Registry] = {}  # by namespace
        # Dynamic parents by their pattern as the core knows it (`_core_pattern`).
        self._dynamic: Dict[str, Namespace] = {}
        self._conns: "weakref.WeakValueDictionary[str, Connection]" = weakref.WeakValueDictionary()
        self._sockets: Dict[Tuple[str, str], Socket] = {}
        # The same sockets by native handle (a connected socket's events all carry one
        # handle; its middleware event another).
        self._by_handle: Dict[Any, Socket] = {}
        # Sockets whose `data` was read or assigned since it was last written back.
        self._touched: Set[Socket] = set()
        self._pump: Optional[Pump] = None
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self.port: Optional[int] = None

    # ---------------------------------------------------------------- lifecycle
    def listen(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Starts serving in the background; returns the bound port (``port=0``: any free one)."""
        self._start()
        bound = self._native.listen(f"{host}:{int(port)}")
        self.port = bound
        return bound

    def _start(self) -> None:
        with self._lock:
            if self._closed.is_set():
                raise ConnectionError("server is closed")
            if self._pump is None:
                self._pump = Pump(self._runtime, self._post, "sio-server-dispatch")
                _live.add(self)

    def _serve_embedded(self) -> None:
        """Inside a web server (``sio.ASGIApp``): called by its requests, from its loop.
        Handlers run on the dispatcher thread, as with ``listen``."""
        if self._pump is None:
            self._start()

    def serve_forever(self, host: str = "0.0.0.0", port: int = 5000) -> None:
        """Listens (unless already listening) and blocks until ``close()``. Ctrl-C
        closes the server and raises ``KeyboardInterrupt``."""
        if self.port is None:
            self.listen(host, port)
        try:
            while not self._closed.wait(1.0):
                pass
        finally:
            self.close()

    def close(self) -> None:
        """Disconnects every socket (``server shutting down``), runs their handlers,
        stops the runtime. Idempotent."""
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
        self._runtime.shutdown()
        if self._pump is not None:
            self._pump.stop()

    def instrument(
        self,
        auth: Union[bool, Dict[str, str], None] = None,
        mode: str = "development",
        read_only: bool = False,
        server_id: Optional[str] = None,
        namespace: str = "/admin",
        server_stats_interval: float = 2,
    ) -> None:
        """Serves the official admin UI (https://admin.socket.io, ``@socket.io/admin-ui``)
        as python-socketio's ``instrument`` does: ``auth`` is ``{"username": ...,
        "password": ...}`` (the plain password, compared as python-socketio does) or
        ``False`` for none; ``mode`` ``"development"`` (every socket, room and event) or
        ``"production"`` (statistics only); ``read_only`` refuses the UI's commands. The
        UI connects from its own origin with credentials: set ``cors_allowed_origins``
        and ``cors_credentials``. The work runs in the core. Raises ``BadArgument`` for
        an invalid option or a second call."""
        if auth is None:
            raise BadArgument("auth must be specified (a dict with username and password, or False)")
        username: Optional[str] = None
        password: Optional[str] = None
        if auth is not False:
            # python-socketio also takes a list of logins or a callable: not supported here.
            if (
                not isinstance(auth, dict)
                or set(auth) != {"username", "password"}
                or not all(isinstance(v, str) for v in auth.values())
            ):
                raise BadArgument('auth must be {"username": str, "password": str} or False')
            username, password = auth["username"], auth["password"]
        self._native.instrument(
            username, password, mode, bool(read_only), server_id, namespace, float(server_stats_interval)
        )

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- namespaces
    def of(self, name: Union[str, Pattern[str]]) -> Namespace:
        """The namespace ``name`` (created on first use), or with a compiled regular
        expression (``re.compile(r"^/dyn-\\d+$")``) a dynamic parent namespace: every name
        a client connects to that matches it (searched, as ``re.search``) becomes a
        namespace sharing the parent's handlers. The core's Rust ``regex`` engine alone
        decides which names match (Python's ``re`` is not consulted): stick to the syntax
        both accept; the flags IGNORECASE, MULTILINE, DOTALL and VERBOSE are passed on."""
        if isinstance(name, re.Pattern):
            if not isinstance(name.pattern, str):
                raise BadArgument("a namespace pattern must be a str pattern")
            core = _core_pattern(name)
            parent = self._dynamic.get(core)
            if parent is None:
                self._native.namespace_regex(core)
                parent = self._dynamic[core] = self._namespace_class(self, name.pattern, pattern=name)
            return parent
        if not isinstance(name, str) or not name.startswith("/"):
            raise BadArgument("a namespace name is a str starting with '/', or a compiled re pattern")
        ns = self._namespaces.get(name)
        if ns is None:
            self._native.namespace(name)
            ns = self._namespaces[name] = self._namespace_class(self, name)
        return ns

    def _namespace(self, name: str) -> Optional[Namespace]:
        """The namespace of an incoming socket; a child of a dynamic parent is created
        here, on its first socket, under the parent the core created it from."""
        ns = self._namespaces.get(name)
        if ns is None:
            core = self._native.dynamic_parent(name)
            parent = None if core is None else self._dynamic.get(core)
            if parent is not None:
                ns = self._namespaces[name] = self._namespace_class(self, name, parent=parent)
                parent._children.append(ns)
        return ns

    def _connection(self, handle: Any) -> Connection:
        # One object per Engine.IO connection while some socket holds it.
        with self._lock:
            conn = self._conns.get(handle.conn_id)
            if conn is None:
                conn = Connection(self, handle.conn_id, handle)
                self._conns[handle.conn_id] = conn
            return conn

    def _operator(self, ns: str, rooms: Sequence[str] = (), excepts: Sequence[str] = ()) -> BroadcastOperator:
        return self._operator_class(self, ns, rooms, excepts)

    # ---------------------------------------------------------------- socket.data
    def _touch(self, sock: Socket) -> None:
        with self._lock:
            self._touched.add(sock)

    def _store_data(self, every: bool = False) -> None:
        """Writes ``socket.data`` back to the core: of the sockets touched since the last
        time (after each handler), or of every socket (before ``fetch_sockets``, which
        then raises ``BadArgument`` if some data cannot be sent)."""
        with self._lock:
            touched, self._touched = self._touched, set()
        sockets = set(self._sockets.values()) | touched if every else touched
        failed: List[Tuple[Socket, BaseException]] = []
        for sock in sockets:
            try:
                sock._store_data()
            except BadArgument as e:
                failed.append((sock, e))
        if not failed:
            return
        with self._lock:
            self._touched.update(sock for sock, _ in failed)  # still to write back
        sock, exc = failed[0]
        message = f"socket.data of {sock.namespace} {sock.id} cannot be stored: {exc}"
        if every:
            raise BadArgument(message)
        logger.error("sio: %s", message)

    def _after_call(self) -> None:
        if self._touched:  # read without the lock: a touch racing with this is stored next time
            self._store_data()

    # namespace "/" on the server itself
    def on(self, event: str, handler: Optional[Handler] = None) -> Any:
        return self.of("/").on(event, handler)

    def on_upgrade(self, handler: Optional[Callable[[str, str], Any]] = None) -> Any:
        """Every transport upgrade of every Engine.IO connection: ``handler(conn_id,
        transport)``, also for upgrades before any namespace is joined (python-socketio
        clients upgrade first), as ``io.engine.on("connection", c => c.on("upgrade"))``.
        Decorator form: ``@server.on_upgrade``."""

        def register(fn: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
            if not callable(fn):
                raise BadArgument("handler must be callable")
            self._upgrade_handlers.append(fn)
            return fn

        return register(handler) if handler is not None else register

    def use(self, middleware: Handler) -> Handler:
        return self.of("/").use(middleware)

    # ---------------------------------------------------------------- cluster
    def on_server_side(self, event: str, handler: Optional[Handler] = None, *, namespace: str = "/") -> Any:
        """Events the other servers of the cluster send to ``namespace`` with
        ``server_side_emit`` (what socket.io's ``io.of(namespace).on(event)`` receives
        from ``io.of(namespace).serverSideEmit``): ``handler(*args)``. When the sender
        waits for an answer, the first handler's return value is it (or, if the handler
        takes an ``ack`` parameter, ``ack(value)``).
        Decorator form: ``@server.on_server_side("event")``."""
        namespace = self.of(namespace).name  # the namespace must exist here to hear it
        return self._server_side.setdefault(namespace, Registry()).on(check_user_event(event), handler)

    def server_side_emit(self, event: str, *args: Any, namespace: str = "/") -> int:
        """Sends an event to ``namespace`` on the other servers of the cluster (not to
        clients); returns how many servers it reached (0 without an adapter)."""
        return self._native.server_side_emit(namespace, check_event(event), args)  # type: ignore[no-any-return]

    def server_side_emit_with_ack(self, event: str, *args: Any, namespace: str = "/") -> List[Any]:
        """Sends an event to ``namespace`` on the other servers and returns their
        answers, one per server. Raises ``sio.TimeoutError`` if some did not answer
        within the adapter's request timeout."""
        return self._wait_result(self._start_server_side_ack(namespace, event, args))  # type: ignore[no-any-return]

    def _start_server_side_ack(self, namespace: str, event: str, args: Tuple[Any, ...]) -> Any:
        fut = self._new_future()
        self._native.server_side_emit_with_ack(namespace, check_event(event), args, self._completion(fut))
        return fut

    def server_count(self) -> int:
        """How many servers the cluster has (1 without an adapter)."""
        return self._native.server_count()  # type: ignore[no-any-return]

    def emit(self, event: str, *args: Any) -> None:
        self.of("/").emit(event, *args)

    def emit_with_ack(self, event: str, *args: Any, timeout: float) -> Any:
        return self.of("/").emit_with_ack(event, *args, timeout=timeout)

    def to(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        return self.of("/").to(room)

    in_ = to

    def except_(self, room: Union[str, Iterable[str]]) -> BroadcastOperator:
        return self.of("/").except_(room)

    def timeout(self, seconds_: float) -> BroadcastOperator:
        return self.of("/").timeout(seconds_)

    def fetch_sockets(self) -> Any:
        return self.of("/").fetch_sockets()

    def disconnect_sockets(self, close: bool = False) -> None:
        self.of("/").disconnect_sockets(close)

    @property
    def sockets(self) -> Dict[str, Socket]:
        return self.of("/").sockets

    @property
    def volatile(self) -> BroadcastOperator:
        """``server.volatile.emit(...)`` on namespace ``/``."""
        return self.of("/").volatile

    def compress(self, flag: bool = True) -> BroadcastOperator:
        """``server.compress(False).emit(...)`` on namespace ``/``: sent uncompressed."""
        return self.of("/").compress(flag)

    # ---------------------------------------------------------------- events
    def _socket(self, handle: Any) -> Socket:
        s = self._by_handle.get(handle)
        if s is None:
            s = self._sockets.get((handle.ns, handle.id))
            if s is None:
                s = self._socket_class(self, handle)
                self._sockets[(s._ns, s._id)] = s
            self._by_handle[handle] = s
        return s

    def _forget(self, sock: Socket, handle: Any) -> None:
        """The socket has left (or was refused): its objects go."""
        self._sockets.pop((sock._ns, sock._id), None)
        self._by_handle.pop(handle, None)
        self._by_handle.pop(sock._h, None)

    def _deliver(self, ev: Tuple[Any, ...]) -> None:
        kind = ev[0]
        if kind == "message":
            # ("message", handle, name, args tuple, ack id or None)
            handle = ev[1]
            sock = self._by_handle.get(handle)
            if sock is None:
                sock = self._socket(handle)
            if sock._any or sock._middlewares:
                self._on_message(sock, ev[2], ev[3], handle, ev[4])
            else:
                self._dispatch_message(sock, ev[2], ev[3], handle, ev[4])
        elif kind == "connection":
            sock = self._socket(ev[1])
            ns = self._namespace(sock.namespace)
            if ns is not None:
                for name in _CONNECT_EVENTS:
                    for fn, _ in ns._handlers(name):
                        self._call(fn, (sock,))
        elif kind == "middleware":
            self._on_middleware(self._socket(ev[1]), ev[2])
        elif kind in ("disconnecting", "disconnect"):
            sock = self._socket(ev[1])
            reason = _reason(ev[2])
            token = _disconnecting.set((sock, set(ev[3]))) if kind == "disconnecting" else None
            try:
                for fn, _ in sock._events.get(kind):
                    self._call(fn, (reason,))
                ns = self._namespace(sock.namespace)
                if ns is not None:
                    for fn, _ in ns._handlers(kind):
                        self._call(fn, (sock, reason))
            finally:
                if token is not None:
                    _disconnecting.reset(token)
                    self._release(ev[4])
            if kind == "disconnect":
                self._forget(sock, ev[1])
                with self._lock:
                    self._touched.discard(sock)
        elif kind == "server_side":
            self._on_server_side(ev[1], ev[2], list(ev[3]), ev[4])
        elif kind == "upgrade":
            conn = self._conns.get(ev[1])
            if conn is not None:
                for fn, _ in conn._events.get("upgrade"):
                    self._call(fn, (ev[2],))
            for fn in list(self._upgrade_handlers):
                self._call(fn, (ev[1], ev[2]))

    def _release(self, leaving: Any) -> None:
        """The ``disconnecting`` handlers are done: the socket may finish leaving (until
        then it is connected, in its rooms, and can emit, as in socket.io)."""
        leaving.release()

    def _on_middleware(self, sock: Socket, decision: Any) -> None:
        ns = self._namespace(sock.namespace)
        chain = ns._middleware_chain() if ns is not None else []

        def refuse(exc: BaseException) -> None:
            self._forget(sock, sock._h)
            if isinstance(exc, ConnectionRefused):
                decision.refuse(exc.message, exc.data)
            else:
                decision.refuse("server error", None)

        def step(i: int) -> None:
            if i == len(chain):
                decision.accept()
                return
            self._call(chain[i], (sock,), then=lambda _r: step(i + 1), fail=refuse)

        step(0)

    def _on_message(self, sock: Socket, event: str, args: Tuple[Any, ...], handle: Any, ack: Optional[int]) -> None:
        # As socket.io: catch-all listeners first, then the packet middleware.
        for fn in sock._any:
            self._call(fn, (event, *args))
        if sock._middlewares:
            self._through_middlewares(sock, event, list(args), handle, ack)  # they may change the list
        else:
            self._dispatch_message(sock, event, args, handle, ack)

    def _through_middlewares(self, sock: Socket, event: str, args: List[Any], handle: Any, ack: Optional[int]) -> None:
        # Apart from `_on_message`: its closures would make cells of its variables at every event.
        def error(exc: BaseException) -> None:
            for fn, _ in sock._events.get("error"):
                self._call(fn, (exc,))

        def step(i: int) -> None:
            if i == len(sock._middlewares):
                self._dispatch_message(sock, event, args, handle, ack)
                return
            self._call(sock._middlewares[i], (event, args), then=lambda _r: step(i + 1), fail=error)

        step(0)

    def _dispatch_message(
        self, sock: Socket, event: str, args: Sequence[Any], handle: Any, ack: Optional[int]
    ) -> None:
        handlers = sock._events.handlers.get(event)
        if handlers:
            call_args = args if type(args) is tuple else tuple(args)
        else:
            ns = sock._nsobj
            if ns is None:
                ns = self._namespace(sock._ns)
                if ns is None:
                    return
                sock._nsobj = ns
            handlers = ns._events.handlers.get(event, ()) if ns.parent is None else ns._handlers(event)
            call_args = (sock, *args)
        for fn, takes in handlers:  # the first handler answers
            if takes:
                self._call(fn, call_args, {"ack": ack_sender(handle, ack) if ack is not None else None})
            elif ack is not None:
                self._call_answer(fn, call_args, handle, ack)
            else:
                self._call(fn, call_args)
            ack = None

    def _on_server_side(self, namespace: str, event: str, args: List[Any], ack: Any) -> None:
        registry = self._server_side.get(namespace)
        for index, (fn, takes) in enumerate(registry.get(event) if registry is not None else []):
            answer = ack if index == 0 else None  # the first handler answers
            kwargs: Dict[str, Any] = {}
            if takes:
                kwargs["ack"] = (lambda value=None, _ack=answer: _ack.send(value)) if answer is not None else None
            then: Optional[Callable[[Any], None]] = None
            if answer is not None and not takes:
                then = lambda result, _ack=answer: self._answer_server_side(_ack, result)
            self._call(fn, tuple(args), kwargs, then=then)

    @staticmethod
    def _answer_server_side(ack: Any, result: Any) -> None:
        try:
            ack.send(result)
        except Exception:
            logger.exception("sio: could not send the answer to a server-side event")
