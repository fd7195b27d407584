"""The line protocol as seen from a Python driver: JSON lines out (thread-safe), binary
values converted to and from ``{"$bin": "<base64>"}``."""
import base64
import json
import sys
import threading

_lock = threading.Lock()


def out(obj):
    line = json.dumps(obj, separators=(",", ":"))
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def enc(v):
    """Python value → line protocol value."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$bin": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return {str(k): enc(x) for k, x in v.items()}
    return v


def dec(v):
    """Line protocol value → Python value."""
    if isinstance(v, list):
        return [dec(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1 and isinstance(v.get("$bin"), str):
            return base64.b64decode(v["$bin"])
        return {k: dec(x) for k, x in v.items()}
    return v


def reply(msg, result=None, error=None):
    if error is not None:
        out({"re": msg.get("id"), "ok": False, "error": str(error)})
    else:
        out({"re": msg.get("id"), "ok": True, **(result or {})})


def serializer(opts):
    """The ``serializer=`` keyword for ``options.parser`` (the runner's ``--parser``): None for
    the default parser, ``"msgpack"`` for socket.io-msgpack-parser's format."""
    name = opts.get("parser", "default")
    if name == "default":
        return None
    if name == "msgpack":
        return "msgpack"
    raise ValueError(f"unknown parser {name}")


def seconds(ms):
    return ms / 1000.0


def reason_str(reason):
    """A reason enum member or string as its plain string."""
    return getattr(reason, "value", None) or str(reason)
