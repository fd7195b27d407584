"""The blocking client: ``sio.Client``."""
from __future__ import annotations

import concurrent.futures
import threading
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union
from urllib.parse import parse_qsl

from . import _log, _sio
from ._common import (
    _live,
    Handler,
    Pump,
    Registry,
    Runner,
    ack_args,
    add_listener,
    check_user_event,
    log_handler_error,
    logger,
    remove_listener,
    seconds,
    takes_details,
)
from ._options import check_serializer
from .exceptions import BadArgument, ConnectionError, SocketIOError, TimeoutError
from .reason import DisconnectDetails, DisconnectReason

__all__ = ["Client", "Manager"]

def _split_url(url: str) -> Tuple[str, str, bool, List[Tuple[str, str]]]:
    """``http://h:p/admin?x=1`` → (``http://h:p``, ``/admin``, whether a path was given,
    ``[("x", "1")]``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "http", url
    rest = rest.split("#", 1)[0]
    rest, _, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    explicit = bool(path)
    pairs = parse_qsl(query, keep_blank_values=True)
    return f"{scheme}://{authority}", "/" + path if explicit else "/", explicit, pairs


def _query(url_pairs: List[Tuple[str, str]], query: Optional[Mapping[str, str]]) -> List[Tuple[str, str]]:
    """The URL's query parameters (sent, as python-engineio and socket.io-client send
    them), then ``query=``'s, which replace a URL parameter of the same name."""
    given = {str(k): str(v) for k, v in (query or {}).items()}
    return [(k, v) for k, v in url_pairs if k not in given] + list(given.items())


def _reason(value: str) -> Any:
    try:
        return DisconnectReason(value)
    except ValueError:  # a reason newer than the enum: still a str
        return value


class Manager:
    """The client's connection, as socket.io-client's Manager (``client.manager``, also
    ``client.io``). Its events: ``open()``, ``ping()``, ``close(reason)``,
    ``error(message)`` (opening the connection failed), ``reconnect_attempt(n)``,
    ``reconnect(n)``, ``reconnect_error(message)``, ``reconnect_failed()``; the client's
    own handlers get the reconnection events too."""

    EVENTS = ("open", "ping", "close", "error", "reconnect_attempt", "reconnect", "reconnect_error", "reconnect_failed")

    def __init__(self, client: "Client") -> None:
        self._client = weakref.ref(client)
        self._events = Registry()

    def on(self, event: str, handler: Optional[Handler] = None) -> Any:
        """Registers a handler for a Manager event (usable as a decorator)."""
        if event not in self.EVENTS:
            raise BadArgument(f"a Manager has no event {event!r} (it has {', '.join(self.EVENTS)})")
        client = self._client()
        if client is not None and event in ("open", "ping", "close", "error"):
            client._native.watch_manager()  # sent by the core only once asked for
        return self._events.on(event, handler)

    def _fire(self, event: str, *args: Any) -> None:
        client = self._client()
        if client is None:
            return
        for fn, _ in list(self._events.get(event)):
            client._call(fn, args)


class Client(Runner):
    """A Socket.IO client of the server at ``url``.

    The namespace is the URL's path (``http://h:p/admin``; ``/`` without one), or, with
    ``namespaces=["/", "/admin"]``, each of those over one connection (the Manager
    multiplexing of socket.io-client). ``on``, ``emit``, ``emit_with_ack`` and ``call``
    take ``namespace=`` (as python-socketio's); without it they use the default
    namespace: the URL's, or the first of ``namespaces`` if that is not among them.

    Nothing happens until ``connect()``. Events, per namespace: ``connect()``,
    ``connect_error(err)`` (a ``sio.ConnectionError`` with ``message``, ``data``,
    ``active``, ``namespace``), ``disconnect(reason)`` (a ``sio.DisconnectReason``), and
    the server's events ``handler(*args)``. Of the connection (they run the handlers
    registered in any namespace): ``reconnect_attempt(n)``, ``reconnect(n)``,
    ``reconnect_error(message)``, ``reconnect_failed()``. Durations are in seconds;
    ``reconnection_attempts=0`` means no limit (as in python-socketio). The URL's query
    parameters are sent with the handshake; ``query=`` adds to them (and wins for a name
    both give). ``serializer`` (python-socketio's): ``"default"`` or ``"msgpack"``
    (socket.io-msgpack-parser's packets: the server must use it too); anything else raises
    ``sio.BadArgument``. ``per_message_deflate`` (default ``True``, as engine.io-client in
    Node): the WebSocket offers permessage-deflate; messages of at least
    ``per_message_deflate_threshold`` bytes (default 1024) go compressed when the server
    agrees.
    """

    def __init__(
        self,
        url: str,
        *,
        namespaces: Optional[Sequence[str]] = None,
        auth: Union[Mapping[str, Any], Callable[[], Mapping[str, Any]], None] = None,
        transports: Sequence[str] = ("polling", "websocket"),
        reconnection: bool = True,
        reconnection_attempts: int = 0,
        reconnection_delay: float = 1.0,
        reconnection_delay_max: float = 5.0,
        randomization_factor: float = 0.5,
        timeout: float = 20.0,
        headers: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, str]] = None,
        path: str = "/socket.io/",
        serializer: str = "default",
        per_message_deflate: bool = True,
        per_message_deflate_threshold: Optional[int] = None,
        logger: _log.LoggerFlag = False,
        engineio_logger: _log.LoggerFlag = False,
    ) -> None:
        if not isinstance(url, str):
            raise BadArgument("url must be a str")
        _log.attach(logger, engineio_logger)
        base, url_namespace, explicit, url_query = _split_url(url)
        if namespaces is None:
            names = [url_namespace]
        else:
            names = [namespaces] if isinstance(namespaces, str) else list(namespaces)
            if not names:
                raise BadArgument("namespaces must not be empty")
            for n in names:
                if not isinstance(n, str) or not n.startswith("/"):
                    raise BadArgument(f"a namespace is a str starting with '/', not {n!r}")
            if len(set(names)) != len(names):
                raise BadArgument("namespaces must not repeat a name")
            if explicit and url_namespace not in names:
                raise BadArgument(f"the URL's namespace {url_namespace!r} is not in namespaces {names!r}")
        if isinstance(transports, str):
            transports = [transports]
        if isinstance(reconnection_attempts, bool) or not isinstance(reconnection_attempts, int) or reconnection_attempts < 0:
            raise BadArgument("reconnection_attempts must be an int >= 0 (0: no limit)")
        if auth is not None and not (isinstance(auth, dict) or callable(auth)):
            raise BadArgument("auth must be a dict or a callable returning one")
        self._auth = auth
        ref = weakref.ref(self)

        def auth_now() -> Any:
            # Read at every CONNECT (on a runtime thread): `client.auth = ..` and a dict
            # changed in place reach the next one, as socket.io-client's `socket.auth`.
            c = ref()
            return None if c is None else c._auth_payload()

        self._runtime = _sio.Runtime()
        self._native = self._runtime.client(
            base,
            namespaces=names,
            path=path,
            auth=auth_now,
            transports=list(transports),
            reconnection=bool(reconnection),
            reconnection_attempts=reconnection_attempts or None,
            reconnection_delay=seconds("reconnection_delay", reconnection_delay),
            reconnection_delay_max=seconds("reconnection_delay_max", reconnection_delay_max),
            randomization_factor=float(randomization_factor),
            timeout=seconds("timeout", timeout),
            headers=[(str(k), str(v)) for k, v in (headers or {}).items()],
            query=_query(url_query, query),
            serializer=check_serializer(serializer),
            per_message_deflate=bool(per_message_deflate),
            per_message_deflate_threshold=per_message_deflate_threshold,
        )
        self.url = url
        self._manager = Manager(self)
        self._names = names
        self._default = url_namespace if url_namespace in names else names[0]
        self._events: Dict[str, Registry] = {n: Registry() for n in names}
        self._any: Dict[str, List[Handler]] = {n: [] for n in names}
        self._any_outgoing: Dict[str, List[Handler]] = {n: [] for n in names}
        self._pump: Optional[Pump] = None
        self._lock = threading.Lock()
        self._state = threading.Condition()
        self._waiter: Optional[Any] = None
        # The namespaces `connect()` still waits for.
        self._pending: Set[str] = set()
        self._closed = False
        # Set by `reconnect_failed`: the client stays `active` (as socket.io-client's
        # does) but will not connect again by itself.
        self._gave_up = False

    def _ns(self, namespace: Optional[str]) -> str:
        if namespace is None:
            return self._default
        if namespace not in self._events:
            raise BadArgument(f"{namespace!r} is not a namespace of this client (namespaces: {self._names!r})")
        return namespace

    # ---------------------------------------------------------------- state
    @property
    def id(self) -> Optional[str]:
        """The server-given id of the default namespace's socket while connected."""
        return self._native.id(self._default)

    def get_sid(self, namespace: Optional[str] = None) -> Optional[str]:
        """The server-given id of the socket of ``namespace`` while connected."""
        return self._native.id(self._ns(namespace))

    @property
    def connected(self) -> bool:
        """Whether the default namespace is connected."""
        return self._native.connected(self._default)

    @property
    def namespaces(self) -> Dict[str, str]:
        """The connected namespaces, each with its socket id (as python-socketio's)."""
        out = {}
        for n in self._names:
            sid = self._native.id(n)
            if sid is not None:
                out[n] = sid
        return out

    @property
    def active(self) -> bool:
        """Whether some namespace is connected or will (re)connect by itself."""
        return any(self._native.active(n) for n in self._names)

    @property
    def recovered(self) -> bool:
        """Whether the last connection of the default namespace recovered its session."""
        return self._native.recovered(self._default)

    @property
    def namespace(self) -> str:
        """The default namespace."""
        return self._default

    @property
    def manager(self) -> Manager:
        """The connection (socket.io-client's ``socket.io``): reconnection and connection
        events."""
        return self._manager

    io = manager

    @property
    def auth(self) -> Union[Mapping[str, Any], Callable[[], Mapping[str, Any]], None]:
        """The CONNECT payload (a dict, or a callable returning one), read at every
        connection and reconnection: assign a new one, or change the dict in place, before
        ``connect()`` (socket.io-client's ``socket.auth``)."""
        return self._auth

    @auth.setter
    def auth(self, value: Union[Mapping[str, Any], Callable[[], Mapping[str, Any]], None]) -> None:
        if value is not None and not (isinstance(value, dict) or callable(value)):
            raise BadArgument("auth must be a dict or a callable returning one")
        self._auth = value

    def _auth_payload(self) -> Any:
        a = self._auth
        return a() if callable(a) else a

    # ---------------------------------------------------------------- handlers
    def on(self, event: str, handler: Optional[Handler] = None, namespace: Optional[str] = None) -> Any:
        """Registers a handler for an event of ``namespace`` (usable as a decorator). For a
        server event, if the server asked for an acknowledgement, the return value is the
        answer unless the handler takes an ``ack`` parameter and calls it."""
        return self._events[self._ns(namespace)].on(event, handler)

    def event(self, handler: Optional[Handler] = None, *, namespace: Optional[str] = None) -> Any:
        """Decorator: registers ``handler`` for the event named like the function
        (``@client.event`` or ``@client.event(namespace="/admin")``)."""
        registry = self._events[self._ns(namespace)]

        def register(fn: Handler) -> Handler:
            return registry.on(fn.__name__, fn)  # type: ignore[no-any-return]

        return register(handler) if handler is not None else register

    def on_any(self, handler: Handler, namespace: Optional[str] = None) -> Handler:
        """Registers ``handler(event, *args)`` for every event from the server in ``namespace``."""
        return add_listener(self._any[self._ns(namespace)], handler)

    def prepend_any(self, handler: Handler, namespace: Optional[str] = None) -> Handler:
        """``on_any``, run before the listeners already registered."""
        return add_listener(self._any[self._ns(namespace)], handler, first=True)

    def off_any(self, handler: Optional[Handler] = None, namespace: Optional[str] = None) -> None:
        """Removes ``handler`` from the ``on_any`` listeners of ``namespace``, or all of them."""
        remove_listener(self._any[self._ns(namespace)], handler)

    def listeners_any(self, namespace: Optional[str] = None) -> List[Handler]:
        """The ``on_any`` listeners of ``namespace``, in the order they run."""
        return list(self._any[self._ns(namespace)])

    def on_any_outgoing(self, handler: Handler, namespace: Optional[str] = None) -> Handler:
        """Registers ``handler(event, *args)`` for every event this client emits in
        ``namespace``, called by the emitting thread before the event is queued."""
        return add_listener(self._any_outgoing[self._ns(namespace)], handler)

    def prepend_any_outgoing(self, handler: Handler, namespace: Optional[str] = None) -> Handler:
        """``on_any_outgoing``, run before the listeners already registered."""
        return add_listener(self._any_outgoing[self._ns(namespace)], handler, first=True)

    def off_any_outgoing(self, handler: Optional[Handler] = None, namespace: Optional[str] = None) -> None:
        """Removes ``handler`` from the ``on_any_outgoing`` listeners, or all of them."""
        remove_listener(self._any_outgoing[self._ns(namespace)], handler)

    def listeners_any_outgoing(self, namespace: Optional[str] = None) -> List[Handler]:
        """The ``on_any_outgoing`` listeners of ``namespace``, in the order they run."""
        return list(self._any_outgoing[self._ns(namespace)])

    def _notify_outgoing(self, namespace: str, event: str, args: Tuple[Any, ...]) -> None:
        for fn in list(self._any_outgoing[namespace]):
            try:
                fn(event, *args)
            except Exception as e:
                log_handler_error(fn, e)

    # ---------------------------------------------------------------- lifecycle
    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise ConnectionError("client is closed")
            if self._pump is None:
                self._pump = Pump(self._runtime, self._post, "sio-client-dispatch")
                _live.add(self)

    def _begin_connect(self) -> Any:
        self._start()
        waiter = self._new_future()
        with self._state:
            self._pending = {n for n in self._names if not self._native.connected(n)}
            self._gave_up = False
            if not self._pending:
                waiter.set_result(None)
            else:
                self._waiter = waiter
        self._native.connect(list(self._names))
        return waiter

    def connect(self, wait: bool = True, timeout: Optional[float] = None) -> None:
        """Connects every namespace. With ``wait`` (default) blocks until all are
        connected; raises ``sio.ConnectionError`` (``message``, ``data``, ``active``,
        ``namespace``) on the first ``connect_error`` (with ``active`` true the client
        keeps retrying), or ``sio.TimeoutError`` after ``timeout`` seconds."""
        waiter = self._begin_connect()
        if not wait or (self._pump is not None and self._pump.on_thread()):
            return  # a handler cannot wait for events it would have to dispatch itself
        try:
            waiter.result(timeout=None if timeout is None else seconds("timeout", timeout))
        except SocketIOError:
            raise
        except concurrent.futures.TimeoutError:
            raise TimeoutError("connection timed out") from None

    def disconnect(self, namespace: Optional[str] = None) -> None:
        """Disconnects every namespace, or only ``namespace`` (``io client disconnect``);
        no reconnection follows. The connection closes with its last namespace."""
        self._native.disconnect(list(self._names) if namespace is None else [self._ns(namespace)])

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the client is disconnected and will not reconnect by itself
        (``disconnect()``, ``io server disconnect``, ``reconnect_failed``, ``close()``).
        Returns False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self._closed or self._gave_up or not self.active, timeout)

    def close(self) -> None:
        """Disconnects and stops the client's runtime (its handlers run first). Idempotent."""
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._runtime.shutdown()
        if self._pump is not None:
            self._pump.stop()
        with self._state:
            self._state.notify_all()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- emitting
    def emit(self, event: str, *args: Any, namespace: Optional[str] = None) -> None:
        """Emits to ``namespace`` (buffered while disconnected)."""
        ns = self._ns(namespace)
        self._notify_outgoing(ns, check_user_event(event), args)
        self._native.emit(ns, event, args)

    @property
    def volatile(self) -> "ClientVolatileEmitter":
        """``client.volatile.emit(...)``: the event is dropped, not buffered, while the
        client is not connected (socket.io-client's ``socket.volatile.emit``)."""
        return ClientVolatileEmitter(self)

    def _start_ack(self, event: str, args: Tuple[Any, ...], timeout: Optional[float], namespace: Optional[str] = None) -> Any:
        t = None if timeout is None else seconds("timeout", timeout)
        ns = self._ns(namespace)
        fut = self._new_future()
        self._notify_outgoing(ns, check_user_event(event), args)
        self._native.emit_with_ack(ns, event, args, t, self._completion(fut))
        return fut

    def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None, namespace: Optional[str] = None) -> List[Any]:
        """Emits and blocks until the server answers: returns the reply arguments.
        Raises ``sio.TimeoutError`` after ``timeout`` seconds."""
        return self._wait_result(self._start_ack(event, args, timeout, namespace))  # type: ignore[no-any-return]

    def call(self, event: str, *args: Any, timeout: Optional[float] = 60.0, namespace: Optional[str] = None) -> Any:
        """Like ``emit_with_ack`` but returns as python-socketio's ``call`` does: None
        for no reply argument, the value for one, a tuple for several."""
        return _unpack(self.emit_with_ack(event, *args, timeout=timeout, namespace=namespace))

    # ---------------------------------------------------------------- events
    def _settle(self, result: Any = None, exc: Optional[BaseException] = None) -> None:
        with self._state:
            waiter, self._waiter = self._waiter, None
            self._pending = set()
        if waiter is not None and not waiter.done():
            if exc is not None:
                waiter.set_exception(exc)
            else:
                waiter.set_result(result)

    def _fire(self, namespace: Optional[str], event: str, *args: Any) -> None:
        registries = self._events.values() if namespace is None else [self._events[namespace]]
        for registry in list(registries):
            for fn, _ in registry.get(event):
                self._call(fn, args)

    def _deliver(self, ev: Tuple[Any, ...]) -> None:
        kind = ev[0]
        if kind == "client_message":
            self._on_message(ev[1], ev[2], list(ev[3]), ev[4])
            return
        if kind == "client_connect":
            ns = ev[1]
            with self._state:
                self._pending.discard(ns)
                done = not self._pending and self._waiter is not None
            if done:
                self._settle(None)
            self._fire(ns, "connect")
        elif kind == "client_connect_error":
            ns = ev[1]
            err = ConnectionError(ev[2], ev[3], bool(ev[4]), namespace=ns)
            self._settle(exc=err)
            self._fire(ns, "connect_error", err)
        elif kind == "client_disconnect":
            reason = _reason(ev[2])
            details = DisconnectDetails(*ev[4]) if ev[4] is not None else None
            for fn, _ in list(self._events[ev[1]].get("disconnect")):
                # `def on_disconnect(reason, details)` gets the details, as socket.io-client's
                # listeners do; `def on_disconnect(reason)` only the reason.
                self._call(fn, (reason, details) if takes_details(fn) else (reason,))
        elif kind in ("reconnect_attempt", "reconnect", "reconnect_error"):
            self._manager._fire(kind, ev[1])
            self._fire(None, kind, ev[1])
        elif kind == "reconnect_failed":
            with self._state:
                self._gave_up = True
            self._settle(exc=ConnectionError("reconnection failed", None, False))
            self._manager._fire("reconnect_failed")
            self._fire(None, "reconnect_failed")
        elif kind == "manager":
            name, arg = ev[1], ev[2]
            if name == "close":
                self._manager._fire(name, _reason(arg))
            elif name == "error":
                self._manager._fire(name, arg)
            else:
                self._manager._fire(name)
        with self._state:
            self._state.notify_all()

    def _on_message(self, namespace: str, event: str, args: List[Any], ack: Any) -> None:
        for fn in list(self._any[namespace]):
            self._call(fn, (event, *args))
        for index, (fn, takes) in enumerate(self._events[namespace].get(event)):
            answer = ack if index == 0 else None
            kwargs: Dict[str, Any] = {}
            if takes:
                kwargs["ack"] = (lambda *a, _ack=answer: _ack.send(a)) if answer is not None else None
            then = None
            if answer is not None and not takes:
                then = lambda result, _ack=answer: _send_answer(_ack, result)
            self._call(fn, tuple(args), kwargs, then=then)


def _send_answer(ack: Any, result: Any) -> None:
    try:
        ack.send(ack_args(result))
    except Exception:
        logger.exception("sio: could not send the acknowledgement")


def _unpack(replies: List[Any]) -> Any:
    if not replies:
        return None
    if len(replies) == 1:
        return replies[0]
    return tuple(replies)


class ClientVolatileEmitter:
    """``client.volatile``: emits that are dropped while the client is not connected."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def emit(self, event: str, *args: Any, namespace: Optional[str] = None) -> None:
        c = self._client
        ns = c._ns(namespace)
        c._notify_outgoing(ns, check_user_event(event), args)
        c._native.emit(ns, event, args, True)
