"""Conformance driver for the sio Python binding (package ``sio``), sync API.

    python3 sio_driver.py server|client

Commands are read on the main thread; sio runs handlers on its dispatcher thread.
"""
import inspect
import itertools
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import dec, enc, out, reason_str, reply, seconds, serializer  # noqa: E402

import sio_rs as sio  # noqa: E402

_ack_ids = itertools.count(1)
MULTI_NAMESPACE = "namespaces" in inspect.signature(sio.Client.__init__).parameters


class ServerDriver:
    COMMANDS = {"listen", "close", "emit", "ack", "join", "leave", "rooms", "setData", "fetchSockets", "disconnect", "transport"}

    def __init__(self):
        self.srv = None
        self.sockets = {}
        self.acks = {}
        self.conns = set()
        self.lock = threading.Lock()

    def sock(self, msg, key="socket"):
        s = self.sockets.get(msg.get(key))
        if s is None:
            raise KeyError(f"no connected socket {msg.get(key)}")
        return s

    def listen(self, msg):
        self.close(msg)
        opts = msg.get("options") or {}
        kw = {"cors_allowed_origins": "*"}
        if "pingInterval" in opts:
            kw["ping_interval"] = seconds(opts["pingInterval"])
        if "pingTimeout" in opts:
            kw["ping_timeout"] = seconds(opts["pingTimeout"])
        if "connectTimeout" in opts:
            kw["connect_timeout"] = seconds(opts["connectTimeout"])
        if "transports" in opts:
            kw["transports"] = opts["transports"]
        if opts.get("recovery"):
            rec = opts["recovery"]
            kw["connection_state_recovery"] = {
                "max_disconnection_duration": seconds(rec.get("maxDisconnectionDuration", 60000)),
                "skip_middlewares": True,
            }
        if serializer(opts):
            kw["serializer"] = serializer(opts)
        srv = sio.Server(**kw)
        # Every upgrade, also before a namespace is joined (as io.engine's connections).
        srv.on_upgrade(lambda conn_id, transport: out({"ev": "upgrade", "conn": conn_id, "transport": str(transport)}))
        events = msg.get("events") or []
        namespaces = msg.get("namespaces") or {}
        for name in ["/"] + [n for n in namespaces if n != "/"]:
            ns = srv.of(name)
            refuse = (namespaces.get(name) or {}).get("refuse")
            if refuse:
                def middleware(socket, _r=refuse):
                    raise sio.ConnectionRefused(_r["message"], dec(_r.get("data")))
                ns.use(middleware)
            ns.on("connection", lambda socket, _e=events: self.on_connection(socket, _e))
        port = srv.listen("127.0.0.1", 0)
        self.srv = srv
        return {"port": port}

    def on_connection(self, socket, events):
        sid, ns = socket.id, socket.namespace
        self.sockets[sid] = socket
        conn = socket.conn
        out({"ev": "connection", "ns": ns, "id": sid, "conn": conn.id, "transport": socket.transport,
             "recovered": bool(socket.recovered), "auth": enc(socket.handshake.get("auth") or {}),
             "rooms": sorted(socket.rooms)})
        with self.lock:
            self.conns.add(conn.id)
        socket.on("disconnecting", lambda reason: out(
            {"ev": "disconnecting", "ns": ns, "id": sid, "reason": reason_str(reason), "rooms": sorted(socket.rooms)}))

        def on_disconnect(reason):
            if self.sockets.get(sid) is socket:
                del self.sockets[sid]
            out({"ev": "disconnect", "ns": ns, "id": sid, "reason": reason_str(reason)})
        socket.on("disconnect", on_disconnect)
        for name in events:
            def handler(*args, ack=None, _name=name):
                key = None
                if ack is not None:
                    key = f"k{next(_ack_ids)}"
                    self.acks[key] = ack
                out({"ev": "event", "ns": ns, "id": sid, "name": _name, "args": enc(list(args)), "ack": key})
            socket.on(name, handler)

    def close(self, msg=None):
        srv, self.srv = self.srv, None
        if srv is not None:
            srv.close()
        self.sockets.clear()
        self.acks.clear()
        return {}

    def emit(self, msg):
        event, args = msg["event"], dec(msg.get("args") or [])
        if "ackTag" in msg:
            s, tag = self.sock(msg), msg["ackTag"]
            timeout = seconds(msg.get("ackTimeout", 5000))

            def wait():
                try:
                    res = s.emit_with_ack(event, *args, timeout=timeout)
                    out({"ev": "ack", "tag": tag, "args": enc(list(res))})
                except Exception as e:  # noqa: BLE001 - reported to the runner
                    out({"ev": "ack", "tag": tag, "error": str(e)})
            threading.Thread(target=wait, daemon=True).start()
            return {}
        rooms, excepts = msg.get("rooms") or [], msg.get("except") or []
        if "socket" in msg:
            target = self.sock(msg)
        elif "from" in msg:
            s = self.sock(msg, "from")
            target = s.to(rooms) if rooms else s.broadcast
        else:
            target = self.srv.of(msg.get("ns", "/"))
            if rooms:
                target = target.to(rooms)
        if excepts:
            target = target.except_(excepts)
        target.emit(event, *args)
        return {}

    def ack(self, msg):
        fn = self.acks.pop(msg["ack"], None)
        if fn is None:
            raise KeyError(f"no pending ack {msg['ack']}")
        fn(*dec(msg.get("args") or []))
        return {}

    def join(self, msg):
        self.sock(msg).join(msg["rooms"])
        return {}

    def leave(self, msg):
        self.sock(msg).leave(msg["room"])
        return {}

    def rooms(self, msg):
        return {"rooms": sorted(self.sock(msg).rooms)}

    def setData(self, msg):  # noqa: N802 - protocol name
        self.sock(msg).data = dec(msg.get("data"))
        return {}

    def fetchSockets(self, msg):  # noqa: N802 - protocol name
        found = self.srv.of(msg.get("ns", "/")).fetch_sockets()
        return {"sockets": sorted(({"id": r.id, "rooms": sorted(r.rooms), "data": enc(r.data)} for r in found), key=lambda x: x["id"])}

    def disconnect(self, msg):
        self.sock(msg).disconnect(bool(msg.get("close", False)))
        return {}

    def transport(self, msg):
        return {"transport": self.sock(msg).transport}


class ClientDriver:
    COMMANDS = {"connect", "close", "emit", "ack", "disconnect", "state"}

    def __init__(self):
        self.clients = []  # (sio.Client, its "closed" event) of every connect
        self.sockets = {}  # client name -> (sio.Client, namespace)
        self.acks = {}

    def sock(self, msg):
        entry = self.sockets.get(msg.get("client"))
        if entry is None:
            raise KeyError(f"no client {msg.get('client')}")
        return entry

    def connect(self, msg):
        opts = msg.get("options") or {}
        specs = msg["sockets"]
        kw = {}
        if "transports" in opts:
            kw["transports"] = opts["transports"]
        for src, dst in (("reconnection", "reconnection"), ("reconnectionAttempts", "reconnection_attempts"), ("randomizationFactor", "randomization_factor")):
            if src in opts:
                kw[dst] = opts[src]
        for src, dst in (("reconnectionDelay", "reconnection_delay"), ("reconnectionDelayMax", "reconnection_delay_max"), ("timeout", "timeout")):
            if src in opts:
                kw[dst] = seconds(opts[src])
        if serializer(opts):
            kw["serializer"] = serializer(opts)
        auth = specs[0].get("auth")
        if auth is not None:
            kw["auth"] = dec(auth)
        if len(specs) == 1:
            client = sio.Client(msg["url"] + specs[0]["ns"], **kw)
        else:
            if not MULTI_NAMESPACE:
                raise RuntimeError("this sio.Client has no namespaces= (no multiplexing)")
            client = sio.Client(msg["url"], namespaces=[s["ns"] for s in specs], **kw)
        closed = threading.Event()
        self.clients.append((client, closed))
        manager = msg["manager"]
        live = lambda: not closed.is_set()  # noqa: E731
        events = msg.get("events") or []

        def on(event, fn, ns):
            if MULTI_NAMESPACE:
                client.on(event, fn, namespace=ns)
            else:
                client.on(event, fn)
        first_ns = specs[0]["ns"]
        on("reconnect_attempt", lambda n: live() and out({"ev": "reconnect_attempt", "client": manager, "attempt": n}), first_ns)
        on("reconnect", lambda n: live() and out({"ev": "reconnect", "client": manager, "attempt": n}), first_ns)
        on("reconnect_error", lambda m: live() and out({"ev": "reconnect_error", "client": manager, "message": str(m)}), first_ns)
        on("reconnect_failed", lambda: live() and out({"ev": "reconnect_failed", "client": manager}), first_ns)
        for spec in specs:
            name, ns = spec["client"], spec["ns"]
            self.sockets[name] = (client, ns)
            sid = (lambda _ns=ns: client.get_sid(_ns)) if MULTI_NAMESPACE else (lambda: client.id)
            on("connect", lambda _n=name, _sid=sid: live() and out({"ev": "connect", "client": _n, "id": _sid(), "recovered": bool(client.recovered)}), ns)
            on("connect_error", lambda err, _n=name: live() and out({"ev": "connect_error", "client": _n, "message": err.message, "data": enc(err.data), "active": bool(err.active)}), ns)
            on("disconnect", lambda reason, _n=name: live() and out({"ev": "disconnect", "client": _n, "reason": reason_str(reason), "active": bool(client.active)}), ns)
            for event in events:
                def handler(*args, ack=None, _n=name, _e=event):
                    if not live():
                        return
                    key = None
                    if ack is not None:
                        key = f"k{next(_ack_ids)}"
                        self.acks[key] = ack
                    out({"ev": "event", "client": _n, "name": _e, "args": enc(list(args)), "ack": key})
                on(event, handler, ns)
        client.connect(wait=False)
        return {}

    def _ns_kw(self, ns):
        return {"namespace": ns} if MULTI_NAMESPACE else {}

    def emit(self, msg):
        client, ns = self.sock(msg)
        event, args = msg["event"], dec(msg.get("args") or [])
        if "ackTag" not in msg:
            client.emit(event, *args, **self._ns_kw(ns))
            return {}
        if event in getattr(sio._sio, "RESERVED_EVENTS", ()):
            # emit_with_ack runs on a thread below; raise its error here, where the reply is
            client.emit(event, *args, **self._ns_kw(ns))
        tag, name = msg["ackTag"], msg["client"]
        timeout = seconds(msg["ackTimeout"]) if "ackTimeout" in msg else None

        def wait():
            try:
                res = client.emit_with_ack(event, *args, timeout=timeout, **self._ns_kw(ns))
                out({"ev": "ack", "client": name, "tag": tag, "args": enc(list(res))})
            except Exception as e:  # noqa: BLE001 - reported to the runner
                out({"ev": "ack", "client": name, "tag": tag, "error": str(e)})
        threading.Thread(target=wait, daemon=True).start()
        return {}

    def ack(self, msg):
        fn = self.acks.pop(msg["ack"], None)
        if fn is None:
            raise KeyError(f"no pending ack {msg['ack']}")
        fn(*dec(msg.get("args") or []))
        return {}

    def disconnect(self, msg):
        client, ns = self.sock(msg)
        if MULTI_NAMESPACE:
            client.disconnect(namespace=ns)
        else:
            client.disconnect()
        return {}

    def state(self, msg):
        client, _ = self.sock(msg)
        return {"connected": client.connected, "active": client.active, "id": client.id, "recovered": client.recovered}

    def close(self, msg=None):
        clients, self.clients = self.clients, []
        for _, closed in clients:
            closed.set()
        for c, _ in clients:
            c.close()
        self.sockets.clear()
        self.acks.clear()
        return {}


def main():
    role = sys.argv[1] if len(sys.argv) > 1 else "server"
    driver = ServerDriver() if role == "server" else ClientDriver()
    out({"ev": "ready", "lib": "sio-python", "role": role})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        try:
            if msg.get("cmd") not in driver.COMMANDS:
                raise KeyError(f"unknown command {msg.get('cmd')}")
            reply(msg, getattr(driver, msg["cmd"])(msg))
        except Exception as e:  # noqa: BLE001 - every failure is a reply
            reply(msg, error=f"{type(e).__name__}: {e}")
    driver.close()


if __name__ == "__main__":
    main()
