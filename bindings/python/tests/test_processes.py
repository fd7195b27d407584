"""Child processes: Ctrl-C (SIGINT) ends a blocked `serve_forever()` / `client.wait()`
with KeyboardInterrupt (blocking classes, and asyncio ones under `asyncio.run`), and the
chat example's server and client work together."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any, List

import pytest

from conftest import REPO, TIMEOUT

EXAMPLES = os.path.join(REPO, "examples", "python")

SERVE_FOREVER = r"""
import sio_rs as sio
server = sio.Server()
port = server.listen("127.0.0.1", 0)
try:
    print("ready", port, flush=True)
    server.serve_forever()
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    raise
"""

CLIENT_WAIT = r"""
import sio_rs as sio
server = sio.Server()
port = server.listen("127.0.0.1", 0)
client = sio.Client(f"http://127.0.0.1:{port}")
client.connect(timeout=10)
try:
    print("ready", client.id, flush=True)
    client.wait()
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    raise
"""

ASYNC_SERVE_FOREVER = r"""
import asyncio
import sio_rs as sio

async def main():
    server = sio.AsyncServer()
    port = await server.listen("127.0.0.1", 0)
    print("ready", port, flush=True)
    await server.serve_forever()

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    raise
"""

# No `async with`: nothing closes the client when the task is cancelled, and
# asyncio.run must still return (it joins its executor threads).
ASYNC_CLIENT_WAIT = r"""
import asyncio
import sio_rs as sio

async def main():
    server = sio.AsyncServer()
    port = await server.listen("127.0.0.1", 0)
    client = sio.AsyncClient(f"http://127.0.0.1:{port}")
    await client.connect(timeout=10)
    print("ready", client.id, flush=True)
    await client.wait()

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    raise
"""


class Child:
    """A child process whose output is read by threads (every wait has a timeout)."""

    def __init__(self, args: List[str]) -> None:
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        self.lines: List[str] = []
        self.err: List[str] = []
        self._cond = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _read(self, stream: Any, into: List[str]) -> None:
        for line in stream:
            with self._cond:
                into.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_line(self, prefix: str, timeout: float = TIMEOUT) -> str:
        with self._cond:
            found = self._cond.wait_for(lambda: any(l.startswith(prefix) for l in self.lines), timeout)
            if not found:
                self.proc.kill()
                pytest.fail(f"no line starting with {prefix!r}; got {self.lines}; stderr: {self.err}")
            return next(l for l in self.lines if l.startswith(prefix))

    def finish(self, timeout: float = TIMEOUT) -> str:
        """Waits for the exit (and the end of its output); returns stderr."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"process did not exit within {timeout}s; stdout: {self.lines}; stderr: {self.err}")
        for t in self._readers:
            t.join(TIMEOUT)
        return "\n".join(self.err)


@pytest.mark.parametrize(
    "script",
    [SERVE_FOREVER, CLIENT_WAIT, ASYNC_SERVE_FOREVER, ASYNC_CLIENT_WAIT],
    ids=["serve_forever", "client_wait", "async_serve_forever", "async_client_wait"],
)
def test_ctrl_c_interrupts_blocking_call(script):
    child = Child([sys.executable, "-c", script])
    child.wait_line("ready")
    child.proc.send_signal(signal.SIGINT)
    # "promptly": well under the dispatcher's and the runtime's own timeouts
    err = child.finish(timeout=5.0)
    assert child.proc.returncode != 0
    assert "KeyboardInterrupt" in child.lines, (child.lines, err)
    assert "Traceback" in err and "KeyboardInterrupt" in err, err


def test_chat_example_server_and_client():
    server = Child([sys.executable, os.path.join(EXAMPLES, "chat_server.py"), "--host", "127.0.0.1", "--port", "0"])
    try:
        url = server.wait_line("chat listening on ").split()[-1]
        # A listener that stays in room "cats" and sees the other client's message.
        listener = Child([sys.executable, os.path.join(EXAMPLES, "chat_client.py"), "--url", url, "--name", "bob", "--room", "cats", "--stay"])
        listener.wait_line("rooms: cats, lobby")
        talker = Child([sys.executable, os.path.join(EXAMPLES, "chat_client.py"), "--url", url, "--name", "ann", "--room", "cats", "--message", "hello cats"])
        err = talker.finish(timeout=30)
        assert talker.proc.returncode == 0, (talker.lines, err)
        out = talker.lines
        # the main thread's lines and the handlers' lines (dispatcher thread) may interleave
        ann_id = next(l for l in out if l.startswith("connected as ")).split()[2]
        assert f"event connect: id {ann_id}, recovered False" in out, out
        assert "rooms: cats, lobby" in out, out
        assert "sent: {'user': 'ann', 'text': 'hello cats', 'room': 'cats'}" in out, out
        assert out[-1] == "disconnected: io client disconnect", out
        # what the listener saw of ann: joining, the message, leaving with the reason
        listener.wait_line("system: ann joined cats")
        listener.wait_line("[cats] ann: hello cats")
        listener.wait_line("system: ann left (client namespace disconnect)")
        # the server's lifecycle log
        server.wait_line(f"connect {ann_id} as 'ann' over ")
        server.wait_line(f"room {ann_id} joined cats")
        server.wait_line(f"disconnect {ann_id} reason 'client namespace disconnect'")
        bob_id = next(l for l in listener.lines if l.startswith("connected as ")).split()[2]
        # bob stays connected until then. An upgrade that completes before the namespace
        # CONNECT is handled has no `upgrade` line: the connection line shows it.
        if not server.wait_line(f"connect {bob_id} as 'bob' over ").endswith("websocket"):
            server.wait_line(f"upgrade {bob_id} to websocket")
        listener.proc.send_signal(signal.SIGINT)
        listener.finish()
        listener.wait_line("interrupted")
        # Ctrl-C in the client leaves the `with` block: close() disconnects cleanly
        server.wait_line(f"disconnect {bob_id} reason 'client namespace disconnect'")
    finally:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGINT)
        err = server.finish()
    assert server.proc.returncode == 0, err
    assert server.lines[-1] == "chat server stopped", server.lines
