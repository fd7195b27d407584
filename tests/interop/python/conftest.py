"""Fixtures for the python-socketio interop tests.

The server under test is the `interop-server` example of sio-core (see
tests/interop/CONTRACT.md).  Each test gets its own server process on a free
port; the fixture reads its stdout, waits for `listening on PORT`, collects the
JSON lifecycle lines and kills the process at teardown.

Environment:
  SIO_INTEROP_SERVER           path of the server executable (default:
                               <repo>/target/debug/examples/interop-server)
  SIO_INTEROP_STARTUP_TIMEOUT  seconds to wait for `listening on PORT` (20)
"""

import asyncio
import collections
import json
import os
import socket
import subprocess
import threading
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_SERVER = os.path.join(REPO, "target", "debug", "examples", "interop-server")
STARTUP_TIMEOUT = float(os.environ.get("SIO_INTEROP_STARTUP_TIMEOUT", "20"))


def server_path():
    return os.environ.get("SIO_INTEROP_SERVER") or DEFAULT_SERVER


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _matches(predicate, entry):
    if callable(predicate):
        try:
            return bool(predicate(entry))
        except (KeyError, TypeError, AttributeError):
            return False
    # a dict: every key/value must be present in the entry
    return all(k in entry and entry[k] == v for k, v in predicate.items())


class InteropServer:
    """One `interop-server` process (restartable on the same port)."""

    def __init__(self, path, port, flags=()):
        self.path = path
        self.port = port
        self.flags = list(flags)
        self.proc = None
        self.generation = 0
        self._cond = threading.Condition()
        self._logs = []           # JSON lines of the current process
        self.old_logs = []        # JSON lines of previous (killed) processes
        self.other_stdout = []    # non-JSON stdout lines
        self._stderr = collections.deque(maxlen=200)
        self._listening = False
        self._killed = False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    # ---------------------------------------------------------------- process
    def start(self, timeout=STARTUP_TIMEOUT):
        path = self.path
        # a `.js` path (tests/interop/reference-server.js, the control) runs with node
        is_js = path.endswith(".js")
        if not (os.path.isfile(path) and (is_js or os.access(path, os.X_OK))):
            pytest.fail(
                f"interop server executable not found: {path}\n"
                "build it with `cargo build -p sio-core --examples` "
                "or set SIO_INTEROP_SERVER", pytrace=False)
        cmd = [*(["node"] if is_js else []), path, "--port", str(self.port),
               *self.flags]
        with self._cond:
            self.generation += 1
            self._listening = False
            self._killed = False
            self.old_logs.extend(self._logs)
            self._logs = []
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8",
            errors="replace", bufsize=1)
        gen = self.generation
        threading.Thread(target=self._read_stdout, args=(self.proc, gen),
                         daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(self.proc,),
                         daemon=True).start()
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._listening:
                if self.proc.poll() is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
            ok = self._listening
        if not ok:
            code = self.proc.poll()
            self.kill()
            state = (f"exited with code {code}" if code is not None
                     else f"did not print `listening on {self.port}` "
                          f"within {timeout}s")
            pytest.fail(f"interop server {' '.join(cmd)} {state}\n"
                        f"{self.diagnostics()}", pytrace=False)
        return self

    def _read_stdout(self, proc, gen):
        for line in proc.stdout:
            line = line.rstrip("\r\n")
            with self._cond:
                if gen != self.generation:
                    return
                if line.strip() == f"listening on {self.port}":
                    self._listening = True
                else:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        entry = None
                    if isinstance(entry, dict):
                        self._logs.append(entry)
                    else:
                        self.other_stdout.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_stderr(self, proc):
        for line in proc.stderr:
            self._stderr.append(line.rstrip("\r\n"))

    def kill(self):
        """SIGKILL the process and wait for it."""
        if self.proc is not None and self.proc.poll() is None:
            self._killed = True
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass

    def restart(self, timeout=STARTUP_TIMEOUT):
        """Kill (if running) and start a new process on the same port."""
        self.kill()
        return self.start(timeout=timeout)

    def exited_unexpectedly(self):
        return (self.proc is not None and self.proc.poll() is not None
                and not self._killed)

    # ------------------------------------------------------------------- logs
    @property
    def logs(self):
        with self._cond:
            return list(self._logs)

    def diagnostics(self):
        code = self.proc.poll() if self.proc else None
        with self._cond:
            logs = "\n".join(json.dumps(e) for e in self._logs[-40:])
            other = "\n".join(self.other_stdout[-20:])
        stderr = "\n".join(self._stderr)
        status = ("running" if code is None else
                  ("killed by the test" if self._killed
                   else f"EXITED with code {code}"))
        return (f"--- server {status} (port {self.port}, "
                f"generation {self.generation})\n"
                f"--- JSON log lines (last 40):\n{logs or '(none)'}\n"
                f"--- other stdout:\n{other or '(none)'}\n"
                f"--- stderr (tail):\n{stderr or '(empty)'}")

    def find_logs(self, predicate):
        with self._cond:
            return [e for e in self._logs if _matches(predicate, e)]

    def wait_for_log(self, predicate, timeout=10.0, count=1):
        """Wait until `count` JSON log lines of the current process match
        `predicate` (a callable or a dict of expected key/values); return the
        `count`-th match.  Fails the test with the server's output on
        timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self._logs if _matches(predicate, e)]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.25))
        pytest.fail(f"timed out after {timeout}s waiting for server log "
                    f"{count}x {predicate!r}\n{self.diagnostics()}",
                    pytrace=False)

    def assert_no_log(self, predicate, within):
        """Check that no log line matches during `within` seconds (used for
        negative assertions such as `no reconnection`)."""
        deadline = time.monotonic() + within
        with self._cond:
            while True:
                found = [e for e in self._logs if _matches(predicate, e)]
                if found:
                    pytest.fail(f"unexpected server log {found[0]!r} "
                                f"(matching {predicate!r})\n"
                                f"{self.diagnostics()}", pytrace=False)
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, 0.25))

    async def await_log(self, predicate, timeout=10.0, count=1):
        """wait_for_log for asyncio tests (does not block the event loop)."""
        return await asyncio.to_thread(self.wait_for_log, predicate, timeout,
                                       count)

    async def await_no_log(self, predicate, within):
        return await asyncio.to_thread(self.assert_no_log, predicate, within)


@pytest.fixture
def start_server():
    """Factory: start_server(*flags) -> a running InteropServer."""
    servers = []

    def _start(*flags, port=None):
        srv = InteropServer(server_path(), port or free_port(), flags)
        servers.append(srv)
        return srv.start()

    yield _start
    for srv in servers:
        srv.kill()


@pytest.fixture
def server(start_server):
    """An interop server with the default options."""
    return start_server()
