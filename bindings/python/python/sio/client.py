"""The blocking client: ``sio.Client``."""
from __future__ import annotations

import concurrent.futures
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _sio
from ._common import _live, Handler, Pump, Registry, Runner, ack_args, check_event, logger, seconds
from .exceptions import BadArgument, ConnectionError, SocketIOError, TimeoutError
from .reason import DisconnectReason

__all__ = ["Client"]


class Client(Runner):
    """A Socket.IO client for ``url`` (its path is the namespace: ``http://h:p/admin``).

    Nothing happens until ``connect()``. Events: ``connect()``, ``connect_error(err)``
    (a ``sio.ConnectionError`` with ``message``, ``data``, ``active``),
    ``disconnect(reason)`` (a ``sio.DisconnectReason``), ``reconnect_attempt(n)``,
    ``reconnect(n)``, ``reconnect_error(message)``, ``reconnect_failed()``, and the
    server's events ``handler(*args)``. Durations are in seconds;
    ``reconnection_attempts=0`` means no limit (as in python-socketio).
    """

    def __init__(
        self,
        url: str,
        *,
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
    ) -> None:
        if not isinstance(url, str):
            raise BadArgument("url must be a str")
        if isinstance(transports, str):
            transports = [transports]
        if isinstance(reconnection_attempts, bool) or not isinstance(reconnection_attempts, int) or reconnection_attempts < 0:
            raise BadArgument("reconnection_attempts must be an int >= 0 (0: no limit)")
        if auth is not None and not (isinstance(auth, dict) or callable(auth)):
            raise BadArgument("auth must be a dict or a callable returning one")
        self._runtime = _sio.Runtime()
        self._native = self._runtime.client(
            url,
            path=path,
            auth=auth,
            transports=list(transports),
            reconnection=bool(reconnection),
            reconnection_attempts=reconnection_attempts or None,
            reconnection_delay=seconds("reconnection_delay", reconnection_delay),
            reconnection_delay_max=seconds("reconnection_delay_max", reconnection_delay_max),
            randomization_factor=float(randomization_factor),
            timeout=seconds("timeout", timeout),
            headers=[(str(k), str(v)) for k, v in (headers or {}).items()],
            query=[(str(k), str(v)) for k, v in (query or {}).items()],
        )
        self.url = url
        self._events = Registry()
        self._any: List[Handler] = []
        self._pump: Optional[Pump] = None
        self._lock = threading.Lock()
        self._state = threading.Condition()
        self._waiter: Optional[Any] = None
        self._closed = False
        # Set by `reconnect_failed`: the client stays `active` (as socket.io-client's
        # does) but will not connect again by itself.
        self._gave_up = False

    # ---------------------------------------------------------------- state
    @property
    def id(self) -> Optional[str]:
        """The server-given id while connected."""
        return self._native.id

    @property
    def connected(self) -> bool:
        return self._native.connected

    @property
    def active(self) -> bool:
        """Whether the client is connected or will (re)connect by itself."""
        return self._native.active

    @property
    def recovered(self) -> bool:
        """Whether the last connection recovered the previous session."""
        return self._native.recovered

    @property
    def namespace(self) -> str:
        return self._native.namespace

    # ---------------------------------------------------------------- handlers
    def on(self, event: str, handler: Optional[Handler] = None) -> Any:
        """Registers a handler (usable as a decorator). For a server event, if the
        server asked for an acknowledgement, the return value is the answer unless
        the handler takes an ``ack`` parameter and calls it."""
        return self._events.on(event, handler)

    def event(self, handler: Handler) -> Handler:
        """Decorator: registers ``handler`` for the event named like the function."""
        return self._events.on(handler.__name__, handler)

    def on_any(self, handler: Handler) -> Handler:
        """Registers ``handler(event, *args)`` for every event from the server."""
        self._any.append(handler)
        return handler

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
            self._waiter = waiter
            self._gave_up = False
        self._native.connect()
        return waiter

    def connect(self, wait: bool = True, timeout: Optional[float] = None) -> None:
        """Connects. With ``wait`` (default) blocks until connected; raises
        ``sio.ConnectionError`` (``message``, ``data``, ``active``) on a
        ``connect_error`` (with ``active`` true the client keeps retrying), or
        ``sio.TimeoutError`` after ``timeout`` seconds."""
        waiter = self._begin_connect()
        if not wait or (self._pump is not None and self._pump.on_thread()):
            return  # a handler cannot wait for events it would have to dispatch itself
        try:
            waiter.result(timeout=None if timeout is None else seconds("timeout", timeout))
        except SocketIOError:
            raise
        except concurrent.futures.TimeoutError:
            raise TimeoutError("connection timed out") from None

    def disconnect(self) -> None:
        """Disconnects (``io client disconnect``); no reconnection follows."""
        self._native.disconnect()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the client is disconnected and will not reconnect by itself
        (``disconnect()``, ``io server disconnect``, ``reconnect_failed``, ``close()``).
        Returns False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self._closed or self._gave_up or not self._native.active, timeout)

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
    def emit(self, event: str, *args: Any) -> None:
        """Emits (buffered while disconnected)."""
        self._native.emit(check_event(event), args)

    def _start_ack(self, event: str, args: Tuple[Any, ...], timeout: Optional[float]) -> Any:
        t = None if timeout is None else seconds("timeout", timeout)
        fut = self._new_future()
        self._native.emit_with_ack(check_event(event), args, t, self._completion(fut))
        return fut

    def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> List[Any]:
        """Emits and blocks until the server answers: returns the reply arguments.
        Raises ``sio.TimeoutError`` after ``timeout`` seconds."""
        return self._start_ack(event, args, timeout).result()

    def call(self, event: str, *args: Any, timeout: Optional[float] = 60.0) -> Any:
        """Like ``emit_with_ack`` but returns as python-socketio's ``call`` does: None
        for no reply argument, the value for one, a tuple for several."""
        return _unpack(self.emit_with_ack(event, *args, timeout=timeout))

    # ---------------------------------------------------------------- events
    def _settle(self, result: Any = None, exc: Optional[BaseException] = None) -> None:
        with self._state:
            waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            if exc is not None:
                waiter.set_exception(exc)
            else:
                waiter.set_result(result)

    def _fire(self, event: str, *args: Any) -> None:
        for fn, _ in self._events.get(event):
            self._call(fn, args)

    def _deliver(self, ev: Tuple[Any, ...]) -> None:
        kind = ev[0]
        if kind == "client_message":
            self._on_message(ev[1], list(ev[2]), ev[3])
            return
        if kind == "client_connect":
            self._settle(None)
            self._fire("connect")
        elif kind == "client_connect_error":
            err = ConnectionError(ev[1], ev[2], bool(ev[3]))
            self._settle(exc=err)
            self._fire("connect_error", err)
        elif kind == "client_disconnect":
            try:
                reason: Any = DisconnectReason(ev[1])
            except ValueError:
                reason = ev[1]
            self._fire("disconnect", reason)
        elif kind in ("reconnect_attempt", "reconnect", "reconnect_error"):
            self._fire(kind, ev[1])
        elif kind == "reconnect_failed":
            with self._state:
                self._gave_up = True
            self._settle(exc=ConnectionError("reconnection failed", None, False))
            self._fire("reconnect_failed")
        with self._state:
            self._state.notify_all()

    def _on_message(self, event: str, args: List[Any], ack: Any) -> None:
        for fn in self._any:
            self._call(fn, (event, *args))
        for index, (fn, takes) in enumerate(self._events.get(event)):
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
