"""Pieces shared by the server and the client: handler registries, the dispatcher
thread, and the two ways of running a handler (on the dispatcher thread, or on an
asyncio loop)."""
from __future__ import annotations

import asyncio
import atexit
import collections
import inspect
import logging
import threading
import weakref
from concurrent.futures import Future
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _sio
from .exceptions import BadArgument, ConnectionRefused, ReservedEventError

logger = logging.getLogger("sio_rs")

Handler = Callable[..., Any]

# How long the dispatcher waits for an event before it looks at its stop flag again.
_POLL_SECONDS = 0.25


def takes_ack(fn: Handler) -> bool:
    """Whether `fn` declares a parameter named ``ack`` (then it answers by calling it)."""
    try:
        return "ack" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def takes_details(fn: Handler) -> bool:
    """Whether a ``disconnect`` handler wants socket.io-client's details as its second
    argument: it requires two positional parameters, or names one ``details``. A default
    (``lambda reason, _n=name: ..``, a common closure idiom) or ``*args`` does not count:
    such a handler gets what python-socketio would give it, the reason alone."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    if any(p.name == "details" and p.kind != p.VAR_POSITIONAL for p in params):
        return True
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in params if p.kind in positional and p.default is inspect.Parameter.empty]
    return len(required) >= 2


def ack_args(result: Any) -> Tuple[Any, ...]:
    """A handler's return value as ack arguments: None → none, tuple → several."""
    if result is None:
        return ()
    if isinstance(result, tuple):
        return result
    return (result,)


def check_event(event: Any) -> str:
    if not isinstance(event, str):
        raise BadArgument(f"event name must be a str, not {type(event).__name__}")
    return event


def check_user_event(event: Any) -> str:
    """Names a handler may be registered for but that can never be emitted."""
    check_event(event)
    if event in _sio.RESERVED_EVENTS:
        raise ReservedEventError(f'"{event}" is a reserved event name')
    return event


def seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadArgument(f"{name} must be a number of seconds, not {type(value).__name__}")
    if value < 0:
        raise BadArgument(f"{name} must not be negative")
    return float(value)


# The handlers of one event: (handler, whether it takes an ``ack`` parameter).
Handlers = Tuple[Tuple[Handler, bool], ...]


class Registry:
    """Event name → handlers, with the decorator form of ``on``. Each event's handlers are
    a tuple, replaced when one is added: a dispatch iterates it without copying, and a
    handler registered meanwhile runs from the next event on."""

    def __init__(self) -> None:
        self.handlers: Dict[str, Handlers] = {}

    def on(self, event: str, handler: Optional[Handler] = None) -> Any:
        check_event(event)

        def register(fn: Handler) -> Handler:
            if not callable(fn):
                raise BadArgument("handler must be callable")
            self.handlers[event] = self.handlers.get(event, ()) + ((fn, takes_ack(fn)),)
            return fn

        if handler is not None:
            return register(handler)
        return register

    def get(self, event: str) -> Handlers:
        return self.handlers.get(event, ())


def add_listener(listeners: List[Handler], handler: Handler, first: bool = False) -> Handler:
    """``on_any``/``prepend_any`` (and their outgoing twins) on one listener list."""
    if not callable(handler):
        raise BadArgument("handler must be callable")
    listeners.insert(0, handler) if first else listeners.append(handler)
    return handler


def remove_listener(listeners: List[Handler], handler: Optional[Handler] = None) -> None:
    """``off_any(handler)`` removes that listener (its first registration), ``off_any()``
    every listener, as socket.io's ``offAny``."""
    if handler is None:
        listeners.clear()
    elif handler in listeners:
        listeners.remove(handler)


def log_handler_error(fn: Any, exc: BaseException) -> None:
    name = getattr(fn, "__qualname__", repr(fn))
    logger.error("sio: handler %s raised", name, exc_info=(type(exc), exc, exc.__traceback__))


class Runner:
    """Runs handlers on the dispatcher thread (the blocking API)."""

    _loop: Optional[asyncio.AbstractEventLoop] = None

    def _call(
        self,
        fn: Handler,
        args: Tuple[Any, ...],
        kwargs: Optional[Dict[str, Any]] = None,
        then: Optional[Callable[[Any], None]] = None,
        fail: Optional[Callable[[BaseException], None]] = None,
    ) -> None:
        try:
            result = fn(*args, **kwargs) if kwargs else fn(*args)
        except Exception as e:  # a handler must not kill the dispatcher
            self._failed(fn, e, fail)
            return
        self._after_call()
        if inspect.isawaitable(result):
            logger.warning("sio: handler %r is a coroutine function; use AsyncServer/AsyncClient", fn)
            close = getattr(result, "close", None)
            if close is not None:
                close()
            result = None
        if then is not None:
            then(result)

    def _call_answer(self, fn: Handler, args: Tuple[Any, ...], handle: Any, ack_id: int) -> None:
        """``_call`` whose return value answers the client's acknowledgement request
        ``ack_id`` through the socket's native ``handle``."""
        self._call(fn, args, then=partial(answer_ack, handle, ack_id))

    def _failed(self, fn: Handler, e: Exception, fail: Optional[Callable[[BaseException], None]]) -> None:
        """A handler raised: logged (a refusal is no error), then finished as a return is."""
        if not isinstance(e, ConnectionRefused):
            log_handler_error(fn, e)
        self._after_call()
        if fail is not None:
            fail(e)

    def _after_call(self) -> None:
        """Runs after each handler has returned (for a coroutine: finished)."""

    _runtime: Any
    _pump: Optional["Pump"]

    def _wait_result(self, fut: "Future[Any]") -> Any:
        """``fut.result()`` for a blocking call (``emit_with_ack``, ``call``...). In a handler,
        on the dispatcher thread, the batch's native turn is closed while it waits: the
        frames queued so far (the ones the batch's earlier handlers emitted, and the one
        being waited for, whose writer the turn would keep asleep) must go out for the answer
        to come back."""
        pump = getattr(self, "_pump", None)
        if pump is None or not pump.on_thread():
            return fut.result()
        self._runtime.end_turn()
        try:
            return fut.result()
        finally:
            self._runtime.begin_turn()

    def _post(self, batch: Any) -> None:
        # One native turn per batch: the answers it queues go out together at its end.
        self._runtime.begin_turn()
        try:
            self._deliver_all(batch)
        finally:
            self._runtime.end_turn()

    def _deliver_all(self, batch: Any) -> None:
        """Dispatches the events of a native ``EventBatch`` (each converted as it is taken)."""
        deliver = self._deliver
        while True:
            try:
                ev = batch.pop()
            except Exception:
                logger.exception("sio: failed to convert an event")
                continue
            if ev is None:
                return
            try:
                deliver(ev)
            except Exception:
                logger.exception("sio: failed to dispatch %r", ev[0])

    def _deliver(self, ev: Tuple[Any, ...]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _new_future(self) -> Any:
        return Future()

    def _completion(self, fut: Any) -> Callable[[Any, Any], None]:
        def done(replies: Any, exc: Any) -> None:
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(replies)

        return done


# At most this many events in one turn of the asyncio loop (its I/O waits meanwhile).
_EVENTS_PER_TURN = 256


class AsyncRunner(Runner):
    """Runs handlers on the user's asyncio loop; ``async def`` handlers become tasks."""

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._tasks: "set[asyncio.Task[Any]]" = set()
            # Native batches of events, not converted yet (EventBatch).
            self._inbox: "collections.deque[Any]" = collections.deque()
            self._inbox_pumping = False
        elif self._loop is not loop:
            raise RuntimeError("sio: this object is bound to another event loop")
        return loop

    def _shutdown(self) -> None:
        loop = self._loop
        if loop is not None and (loop.is_closed() or not loop.is_running()):
            # Nobody will deliver these (e.g. at interpreter exit after asyncio.run): drop
            # them now, so that a held `disconnecting` does not keep its socket from leaving.
            self._inbox.clear()
        super()._shutdown()  # type: ignore[misc]

    def _call(self, fn, args, kwargs=None, then=None, fail=None) -> None:  # type: ignore[no-untyped-def]
        try:
            result = fn(*args, **kwargs) if kwargs else fn(*args)
        except Exception as e:
            self._failed(fn, e, fail)
            return
        if result is None or type(result) is tuple or not inspect.isawaitable(result):
            self._after_call()
            if then is not None:
                then(result)
            return
        self._await_call(fn, result, then, fail)

    def _call_answer(self, fn: Handler, args: Tuple[Any, ...], handle: Any, ack_id: int) -> None:
        # `_call` with `then=partial(answer_ack, handle, ack_id)`, without the partial: the
        # path of every event that asks for an acknowledgement.
        try:
            result = fn(*args)
        except Exception as e:
            self._failed(fn, e, None)
            return
        if result is None or type(result) is tuple or not inspect.isawaitable(result):
            self._after_call()
            try:
                handle.ack_result(ack_id, result)
            except Exception:
                logger.exception("sio: could not send the acknowledgement")
            return
        self._await_call(fn, result, partial(answer_ack, handle, ack_id), None)

    def _await_call(
        self,
        fn: Handler,
        result: Any,
        then: Optional[Callable[[Any], None]],
        fail: Optional[Callable[[BaseException], None]],
    ) -> None:
        """The rest of ``_call`` for a handler that returned an awaitable: a task."""

        async def finish() -> None:
            try:
                value = await result
            except Exception as e:
                self._failed(fn, e, fail)
                return
            self._after_call()
            if then is not None:
                then(value)

        task = self._spawn(finish())
        if self._started is not None:
            self._started.append(task)

    # Tasks started by the handlers `_call` runs, while a caller collects them.
    _started: "Optional[List[asyncio.Task[Any]]]" = None

    def _spawn(self, coro: Any) -> "asyncio.Task[Any]":
        """A task on the loop, kept (and waited for by ``close``) until it ends."""
        assert self._loop is not None
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _finish_handlers(self) -> None:
        """After shutdown: lets the last posted events run, then waits for the handler
        tasks still running (a task may start another: until none is left)."""
        await asyncio.sleep(0)
        if self._loop is None:
            return
        me = asyncio.current_task()  # close() called by a handler must not wait for itself
        while True:
            others = [t for t in self._tasks if t is not me]
            if not others:
                return
            await asyncio.gather(*others, return_exceptions=True)

    def _post(self, batch: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            # One wake-up of the loop for the whole batch.
            loop.call_soon_threadsafe(self._enqueue, batch)
        except RuntimeError:  # the loop closed meanwhile
            pass

    def _enqueue(self, batch: Any) -> None:
        self._inbox.append(batch)
        if not self._inbox_pumping:
            self._inbox_pumping = True
            self._step()

    def _step(self) -> None:
        # One event per turn of the loop, as a socket read would give: what the previous
        # event woke up (an awaiting coroutine) runs before the next event is dispatched.
        # When an event scheduled nothing and nothing else waits on the loop, nobody could
        # run in between, so the next one goes in the same turn (a turn costs a select()).
        # Loops without a visible ready queue (uvloop) get one event per turn.
        # The events of one turn are one native turn: their answers go out together.
        # Each event is converted from its native batch only now: the events waiting in
        # the inbox are not Python objects yet (no garbage collections for them).
        loop = self._loop
        assert loop is not None
        ready = getattr(loop, "_ready", None)
        inbox = self._inbox
        deliver = self._deliver
        self._runtime.begin_turn()
        try:
            for _ in range(_EVENTS_PER_TURN):
                ev = None
                while inbox:
                    try:
                        ev = inbox[0].pop()
                    except Exception:
                        logger.exception("sio: failed to convert an event")
                        continue
                    if ev is not None:
                        break
                    inbox.popleft()  # that batch is done
                if ev is None:
                    self._inbox_pumping = False
                    return
                try:
                    deliver(ev)
                except Exception:
                    logger.exception("sio: failed to dispatch %r", ev[0])
                if ready is None or ready:
                    break
        finally:
            self._runtime.end_turn()
        loop.call_soon(self._step)

    def _new_future(self) -> Any:
        assert self._loop is not None
        return self._loop.create_future()

    def _completion(self, fut: Any) -> Callable[[Any, Any], None]:
        assert self._loop is not None
        return loop_completion(self._loop, fut)


def answer_ack(handle: Any, ack_id: int, result: Any) -> None:
    """A handler's return value as the answer to acknowledgement ``ack_id`` of the socket
    ``handle`` (``None`` → no arguments, a tuple → several)."""
    try:
        handle.ack_result(ack_id, result)
    except Exception:
        logger.exception("sio: could not send the acknowledgement")


def ack_sender(handle: Any, ack_id: int) -> Callable[..., bool]:
    """The ``ack`` a handler taking an ``ack`` parameter calls: ``ack(*args)`` answers once;
    later calls do nothing. Returns whether this call sent the answer (False as well once
    the client has left)."""
    sent = False

    def ack(*args: Any) -> bool:
        nonlocal sent
        if sent:
            return False
        answered: bool = handle.ack(ack_id, args)  # what cannot be sent raises: nothing was
        sent = True
        return answered

    return ack


def loop_completion(loop: asyncio.AbstractEventLoop, fut: "asyncio.Future[Any]") -> Callable[[Any, Any], None]:
    """A native completion ``done(result, exc)``, called once on a runtime thread (an ack's
    answer, a host request's response), that settles ``fut`` on ``loop``."""

    def settle(result: Any, exc: Any) -> None:
        if fut.done():
            return
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(result)

    def done(result: Any, exc: Any) -> None:
        try:
            loop.call_soon_threadsafe(settle, result, exc)
        except RuntimeError:  # the loop closed meanwhile
            pass

    return done


# Servers and clients whose runtime runs: closed at interpreter exit, before
# finalisation, so that no runtime thread calls into a finalising interpreter.
_live: "weakref.WeakSet[Any]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for obj in list(_live):
        try:
            obj._shutdown()
        except Exception:  # pragma: no cover - best effort at exit
            pass


_BATCH = 256


class Pump:
    """The dispatcher thread: drains ``Runtime.next_batch`` (GIL released while it
    waits) and hands each batch (a native ``EventBatch``, whose events become tuples as
    they are taken) to ``post``, until the runtime is shut down."""

    def __init__(self, runtime: Any, post: Callable[[Any], None], name: str) -> None:
        self._runtime = runtime
        self._post = post
        self._stopping = False
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self._runtime.next_batch(_POLL_SECONDS, _BATCH)
            if batch is None:
                if self._stopping:
                    return  # shut down and drained
                continue
            try:
                self._post(batch)
            except Exception:
                logger.exception("sio: failed to dispatch a batch of events")
            # Not kept while waiting for the next: an undelivered `disconnecting` would hold
            # its socket back.
            del batch

    def stop(self) -> None:
        """Call after ``Runtime.shutdown()``: the thread drains what is left and ends."""
        self._stopping = True
        if threading.current_thread() is not self.thread:
            self.thread.join()

    def on_thread(self) -> bool:
        return threading.current_thread() is self.thread
