"""Disconnect reasons: the exact strings of the reference implementation."""
from __future__ import annotations

import enum
from typing import NamedTuple, Optional

__all__ = ["DisconnectReason", "DisconnectDetails"]


class DisconnectReason(str, enum.Enum):
    """Why a socket disconnected; compares equal to the reference string.

    Server side (``disconnecting`` / ``disconnect`` of a server socket) and client
    side (``disconnect`` of a client) share this enum; ``PING_TIMEOUT``,
    ``TRANSPORT_CLOSE``, ``TRANSPORT_ERROR``, ``PARSE_ERROR`` and ``FORCED_CLOSE``
    occur on both sides.
    """

    # server side
    SERVER_NAMESPACE_DISCONNECT = "server namespace disconnect"
    CLIENT_NAMESPACE_DISCONNECT = "client namespace disconnect"
    SERVER_SHUTTING_DOWN = "server shutting down"
    FORCED_SERVER_CLOSE = "forced server close"
    # client side
    IO_SERVER_DISCONNECT = "io server disconnect"
    IO_CLIENT_DISCONNECT = "io client disconnect"
    # both
    PING_TIMEOUT = "ping timeout"
    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"
    PARSE_ERROR = "parse error"
    FORCED_CLOSE = "forced close"

    def __str__(self) -> str:
        return self.value


class DisconnectDetails(NamedTuple):
    """The ``details`` a client's ``disconnect`` handler gets as its second argument (as
    socket.io-client's ``disconnect`` event) for ``transport close`` and ``transport
    error``; ``None`` for the other reasons."""

    description: str
    """What happened: ``"transport closed by the server"`` (polling), ``"websocket
    connection closed"``, or the error."""
    context: Optional[str]
    """More about it when known: the WebSocket close code and reason, the I/O error."""

