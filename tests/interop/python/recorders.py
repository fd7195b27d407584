"""Event recorders for the python-socketio interop tests.

`Recorder` (threads, for socketio.Client) and `AsyncRecorder` (asyncio, for
socketio.AsyncClient) keep every event a client handler saw and let a test wait
for the n-th occurrence of (event, namespace) with a timeout, so that tests
synchronise on events, never on sleeps.
"""

import asyncio
import os
import threading
import time

# Default wait for anything the server is expected to do.
TIMEOUT = float(os.environ.get("SIO_INTEROP_TIMEOUT", "10"))


def _describe(items):
    return "\n".join(f"  {name!r} ns={ns!r} args={args!r}"
                     for name, ns, args in items[-30:]) or "  (nothing)"


class Recorder:
    """Thread-safe record of (event, namespace, args)."""

    def __init__(self):
        self._cond = threading.Condition()
        self.items = []

    def add(self, name, ns, args):
        with self._cond:
            self.items.append((name, ns, tuple(args)))
            self._cond.notify_all()

    def handler(self, name, ns="/", reply=None):
        """A python-socketio handler recording its args; `reply(*args)` (if
        given) computes the value returned to the server (the ack)."""
        def _handler(*args):
            self.add(name, ns, args)
            if reply is not None:
                return reply(*args)
        return _handler

    def all(self, name, ns="/"):
        with self._cond:
            return [a for n, s, a in self.items if n == name and s == ns]

    def count(self, name, ns="/"):
        return len(self.all(name, ns))

    def wait(self, name, ns="/", n=1, timeout=TIMEOUT):
        """Wait for the n-th (1-based) `name` event on `ns`; return its args
        as a tuple.  Raises AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [a for x, s, a in self.items if x == name and s == ns]
                if len(got) >= n:
                    return got[n - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for event "
                        f"#{n} {name!r} on {ns!r}; events seen:\n"
                        f"{_describe(self.items)}")
                self._cond.wait(left)


class AsyncRecorder:
    """Record of (event, namespace, args) for one asyncio event loop."""

    def __init__(self):
        self.items = []
        self._changed = asyncio.Event()

    def add(self, name, ns, args):
        self.items.append((name, ns, tuple(args)))
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def handler(self, name, ns="/", reply=None):
        """An async python-socketio handler recording its args; `reply` may
        be a plain or async function computing the ack value."""
        async def _handler(*args):
            self.add(name, ns, args)
            if reply is not None:
                r = reply(*args)
                if asyncio.iscoroutine(r):
                    r = await r
                return r
        return _handler

    def all(self, name, ns="/"):
        return [a for n, s, a in self.items if n == name and s == ns]

    def count(self, name, ns="/"):
        return len(self.all(name, ns))

    async def wait(self, name, ns="/", n=1, timeout=TIMEOUT):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            got = self.all(name, ns)
            if len(got) >= n:
                return got[n - 1]
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for event "
                    f"#{n} {name!r} on {ns!r}; events seen:\n"
                    f"{_describe(self.items)}")
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), left)
            except asyncio.TimeoutError:
                pass
