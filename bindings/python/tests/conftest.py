"""Fixtures: an `sio.Server` on a free port, the reference Node server
(tests/interop/reference-server.js), and a thread-safe event recorder.

Every wait is on an event with a timeout (no sleeps as synchronisation).
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import threading
from typing import Any, Dict, List, Optional

import pytest

import sio

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
REFERENCE_SERVER = os.path.join(REPO, "tests", "interop", "reference-server.js")
NODE_MODULES = os.path.join(REPO, "tests", "node_modules")
TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Collects (name, args) from any thread; `wait(name)` returns the next args of
    that name, failing the test after a timeout."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seen: List[tuple] = []
        self._taken: Dict[str, int] = {}

    def record(self, name: str, *args: Any) -> None:
        with self._cond:
            self._seen.append((name, args))
            self._cond.notify_all()

    def handler(self, name: str):
        return lambda *args: self.record(name, *args)

    def wait(self, name: str, timeout: float = TIMEOUT) -> tuple:
        with self._cond:
            def ready() -> bool:
                return len(self.all(name)) > self._taken.get(name, 0)

            if not self._cond.wait_for(ready, timeout):
                pytest.fail(f"no {name!r} event within {timeout}s; seen: {[n for n, _ in self._seen]}")
            i = self._taken.get(name, 0)
            self._taken[name] = i + 1
            return self.all(name)[i]

    def all(self, name: str) -> List[tuple]:
        with self._cond:
            return [a for n, a in self._seen if n == name]


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def server():
    s = sio.Server()
    yield s
    s.close()


@pytest.fixture
def url(server) -> str:
    """Listens lazily: handlers are registered by the test before the first call."""
    return f"http://127.0.0.1:{server.listen('127.0.0.1', 0)}"


class NodeServer:
    def __init__(self, port: int, flags: List[str]) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.logs: "queue.Queue[dict]" = queue.Queue()
        self.proc = subprocess.Popen(
            [node, REFERENCE_SERVER, "--port", str(port), *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started = threading.Event()
        self.output: List[str] = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line)
                if line.startswith("listening on"):
                    started.set()
                elif line.startswith("{"):
                    self.logs.put(json.loads(line))

        threading.Thread(target=read, daemon=True).start()
        if not started.wait(20):
            self.stop()
            pytest.fail("reference server did not start: " + "".join(self.output))

    def wait_log(self, **match: Any) -> dict:
        while True:
            entry = self.logs.get(timeout=TIMEOUT)
            if all(entry.get(k) == v for k, v in match.items()):
                return entry

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def ref_server():
    s = NodeServer(free_port(), [])
    yield s
    s.stop()


def run_node(script: str, *args: str, timeout: float = 30.0) -> List[dict]:
    """Runs a CommonJS script with tests/node_modules resolvable; returns its JSON lines."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    p = subprocess.run([node, "-e", script, "--", *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stdout + p.stderr
    return [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
