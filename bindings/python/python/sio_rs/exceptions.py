"""The exception hierarchy: every error raised by sio is a :class:`SocketIOError`.

The native module raises these classes too (mapped from the Rust errors in
``src/error.rs``), so this module must not import ``sio_rs._sio``.
"""
from __future__ import annotations

import builtins
from typing import Any, Optional

__all__ = [
    "SocketIOError",
    "ConnectionError",
    "ConnectionRefused",
    "TimeoutError",
    "ReservedEventError",
    "BadArgument",
]


class SocketIOError(Exception):
    """Base class of every sio error."""


class ConnectionError(SocketIOError, builtins.ConnectionError):
    """A connection could not be made, was refused, or is gone.

    For a client's ``connect_error``: ``message`` and ``data`` are what the server
    sent (``data`` is ``None`` when it sent none), ``active`` tells whether the
    client keeps retrying by itself, and ``namespace`` which namespace failed.
    """

    def __init__(self, message: str = "", data: Any = None, active: bool = False, namespace: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data
        self.active = active
        self.namespace = namespace


class ConnectionRefused(SocketIOError):
    """Raised by a connection middleware to refuse a client.

    The client's ``connect_error`` gets ``message`` and ``data``.
    """

    def __init__(self, message: str = "connection refused", data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class TimeoutError(SocketIOError, builtins.TimeoutError):
    """No acknowledgement (or connection) within the timeout."""


class ReservedEventError(SocketIOError, ValueError):
    """The event name is reserved (``connect``, ``disconnect``, ...)."""


class BadArgument(SocketIOError, TypeError):
    """An argument cannot be sent or is invalid.

    Sendable values: dict (str keys), list, tuple, str, int, float, bool, None, bytes.
    """


