"""Conformance driver for python-socketio (the reference Python implementation), asyncio:
``socketio.AsyncServer`` on aiohttp, ``socketio.AsyncClient``.

    python3 socketio_driver.py server|client

python-socketio names reasons differently from the JavaScript implementations; the driver
reports them in the reference vocabulary (README.md, "Drivers"): server "client disconnect"
→ "client namespace disconnect", "server disconnect" → "server namespace disconnect";
client "server disconnect" → "io server disconnect", "client disconnect" → "io client
disconnect". Its disconnect handler runs while the rooms are still joined, so the driver
reports it as both "disconnecting" (with the rooms) and "disconnect".
"""
import asyncio
import contextvars
import itertools
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import dec, enc, out, reason_str, reply, seconds, serializer  # noqa: E402

import socketio  # noqa: E402
from aiohttp import web  # noqa: E402

_ack_ids = itertools.count(1)
# Whether the peer asked for an acknowledgement of the event being handled: python-socketio
# sends the handler's return value only then, so a handler waits for the runner's `ack`
# command only when one is wanted.
ACK_WANTED = contextvars.ContextVar("ack_wanted", default=False)


class AckAwareServer(socketio.AsyncServer):
    async def _handle_event_internal(self, server, sid, eio_sid, data, namespace, id):
        ACK_WANTED.set(id is not None)
        return await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)


class AckAwareClient(socketio.AsyncClient):
    async def _handle_event(self, namespace, id, data):
        ACK_WANTED.set(id is not None)
        return await super()._handle_event(namespace, id, data)


SERVER_REASONS = {"client disconnect": "client namespace disconnect", "server disconnect": "server namespace disconnect"}
CLIENT_REASONS = {"server disconnect": "io server disconnect", "client disconnect": "io client disconnect"}


class ServerDriver:
    COMMANDS = {"listen", "close", "emit", "ack", "join", "leave", "rooms", "disconnect", "transport"}

    def __init__(self):
        self.sio = None
        self.runner = None
        self.sockets = {}  # sid -> namespace
        self.acks = {}

    def ns_of(self, msg, key="socket"):
        sid = msg.get(key)
        if sid not in self.sockets:
            raise KeyError(f"no connected socket {sid}")
        return sid, self.sockets[sid]

    async def listen(self, msg):
        await self.close(msg)
        opts = msg.get("options") or {}
        kw = {"async_mode": "aiohttp", "cors_allowed_origins": "*"}
        if "pingInterval" in opts:
            kw["ping_interval"] = seconds(opts["pingInterval"])
        if "pingTimeout" in opts:
            kw["ping_timeout"] = seconds(opts["pingTimeout"])
        if "transports" in opts:
            kw["transports"] = opts["transports"]
        if serializer(opts):
            kw["serializer"] = serializer(opts)
        sio = AckAwareServer(**kw)
        events = msg.get("events") or []
        namespaces = msg.get("namespaces") or {}
        for name in ["/"] + [n for n in namespaces if n != "/"]:
            self.register(sio, name, (namespaces.get(name) or {}).get("refuse"), events)
        app = web.Application()
        sio.attach(app)
        # a long-poll still pending at close must not hold the next scenario for a minute
        runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.sio, self.runner = sio, runner
        return {"port": site._server.sockets[0].getsockname()[1]}

    def register(self, sio, ns, refuse, events):
        async def connect(sid, environ, auth=None):
            if refuse:
                raise socketio.exceptions.ConnectionRefusedError(refuse["message"], dec(refuse.get("data")))
            self.sockets[sid] = ns
            out({"ev": "connection", "ns": ns, "id": sid, "conn": sio.manager.eio_sid_from_sid(sid, ns),
                 "transport": sio.transport(sid, ns), "recovered": False, "auth": enc(auth or {}),
                 "rooms": sorted(sio.rooms(sid, ns))})

        async def disconnect(sid, reason=None):
            r = SERVER_REASONS.get(reason_str(reason), reason_str(reason))
            out({"ev": "disconnecting", "ns": ns, "id": sid, "reason": r, "rooms": sorted(sio.rooms(sid, ns))})
            self.sockets.pop(sid, None)
            out({"ev": "disconnect", "ns": ns, "id": sid, "reason": r})

        sio.on("connect", connect, namespace=ns)
        sio.on("disconnect", disconnect, namespace=ns)
        for name in events:
            async def handler(sid, *args, _name=name):
                key = None
                fut = None
                if ACK_WANTED.get():
                    key = f"k{next(_ack_ids)}"
                    fut = asyncio.get_running_loop().create_future()
                    self.acks[key] = fut
                out({"ev": "event", "ns": ns, "id": sid, "name": _name, "args": enc(list(args)), "ack": key})
                if fut is not None:
                    return tuple(await fut)
            sio.on(name, handler, namespace=ns)

    async def close(self, msg=None):
        sio, runner = self.sio, self.runner
        self.sio = self.runner = None
        if sio is not None:
            try:
                # shutdown() waits for python-engineio's service task, which sleeps up to
                # pingTimeout between rounds; the timeout cancels it (and the wait)
                await asyncio.wait_for(sio.shutdown(), 0.5)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        if runner is not None:
            try:
                await asyncio.wait_for(runner.cleanup(), 3)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        for fut in self.acks.values():
            fut.cancel()
        self.sockets.clear()
        self.acks.clear()
        return {}

    async def emit(self, msg):
        event, args = msg["event"], tuple(dec(msg.get("args") or []))
        if msg.get("except"):
            raise NotImplementedError("python-socketio cannot exclude rooms")
        rooms = msg.get("rooms") or []
        if "ackTag" in msg:
            sid, ns = self.ns_of(msg)
            tag = msg["ackTag"]
            await self.sio.emit(event, args, to=sid, namespace=ns,
                                callback=lambda *res: out({"ev": "ack", "tag": tag, "args": enc(list(res))}))
        elif "socket" in msg:
            sid, ns = self.ns_of(msg)
            await self.sio.emit(event, args, to=sid, namespace=ns)
        elif "from" in msg:
            sid, ns = self.ns_of(msg, "from")
            await self.sio.emit(event, args, to=rooms or None, skip_sid=sid, namespace=ns)
        else:
            await self.sio.emit(event, args, to=rooms or None, namespace=msg.get("ns", "/"))
        return {}

    async def ack(self, msg):
        fut = self.acks.pop(msg["ack"], None)
        if fut is None:
            raise KeyError(f"no pending ack {msg['ack']}")
        fut.set_result(dec(msg.get("args") or []))
        return {}

    async def join(self, msg):
        sid, ns = self.ns_of(msg)
        for room in msg["rooms"]:
            await self.sio.enter_room(sid, room, namespace=ns)
        return {}

    async def leave(self, msg):
        sid, ns = self.ns_of(msg)
        await self.sio.leave_room(sid, msg["room"], namespace=ns)
        return {}

    async def rooms(self, msg):
        sid, ns = self.ns_of(msg)
        return {"rooms": sorted(self.sio.rooms(sid, ns))}

    async def disconnect(self, msg):
        sid, ns = self.ns_of(msg)
        if msg.get("close"):
            raise NotImplementedError("python-socketio has no disconnect(close=True)")
        await self.sio.disconnect(sid, namespace=ns)
        return {}

    async def transport(self, msg):
        sid, ns = self.ns_of(msg)
        return {"transport": self.sio.transport(sid, ns)}


class ClientDriver:
    COMMANDS = {"connect", "close", "emit", "ack", "disconnect", "state"}

    def __init__(self):
        self.clients = []  # (AsyncClient, closed flag, connect task)
        self.sockets = {}  # client name -> (AsyncClient, namespace)
        self.acks = {}

    def sock(self, msg):
        entry = self.sockets.get(msg.get("client"))
        if entry is None:
            raise KeyError(f"no client {msg.get('client')}")
        return entry

    async def connect(self, msg):
        opts = msg.get("options") or {}
        specs = msg["sockets"]
        kw = {}
        if "reconnection" in opts:
            kw["reconnection"] = opts["reconnection"]
        if "reconnectionAttempts" in opts:
            kw["reconnection_attempts"] = opts["reconnectionAttempts"]
        if "randomizationFactor" in opts:
            kw["randomization_factor"] = opts["randomizationFactor"]
        if "reconnectionDelay" in opts:
            kw["reconnection_delay"] = seconds(opts["reconnectionDelay"])
        if "reconnectionDelayMax" in opts:
            kw["reconnection_delay_max"] = seconds(opts["reconnectionDelayMax"])
        if serializer(opts):
            kw["serializer"] = serializer(opts)
        client = AckAwareClient(**kw)
        closed = threading.Event()
        live = lambda: not closed.is_set()  # noqa: E731
        events = msg.get("events") or []
        reconnects = opts.get("reconnection", True)
        for spec in specs:
            name, ns = spec["client"], spec["ns"]
            self.sockets[name] = (client, ns)

            async def on_connect(_n=name, _ns=ns):
                if live():
                    out({"ev": "connect", "client": _n, "id": client.get_sid(_ns), "recovered": False})

            async def on_connect_error(data=None, _n=name):
                if live():
                    message = data.get("message") if isinstance(data, dict) else str(data)
                    payload = data.get("data") if isinstance(data, dict) else None
                    # python-socketio does not retry a refused namespace
                    out({"ev": "connect_error", "client": _n, "message": message, "data": enc(payload), "active": False})

            async def on_disconnect(reason=None, _n=name):
                if live():
                    r = CLIENT_REASONS.get(reason_str(reason), reason_str(reason))
                    active = bool(reconnects) and r not in ("io server disconnect", "io client disconnect")
                    out({"ev": "disconnect", "client": _n, "reason": r, "active": active})
            client.on("connect", on_connect, namespace=ns)
            client.on("connect_error", on_connect_error, namespace=ns)
            client.on("disconnect", on_disconnect, namespace=ns)
            for event in events:
                async def handler(*args, _n=name, _e=event):
                    if not live():
                        return None
                    key = fut = None
                    if ACK_WANTED.get():
                        key = f"k{next(_ack_ids)}"
                        fut = asyncio.get_running_loop().create_future()
                        self.acks[key] = fut
                    out({"ev": "event", "client": _n, "name": _e, "args": enc(list(args)), "ack": key})
                    if fut is not None:
                        return tuple(await fut)
                    return None
                client.on(event, handler, namespace=ns)
        kwargs = {"namespaces": [s["ns"] for s in specs], "wait_timeout": seconds(opts.get("timeout", 5000))}
        if "transports" in opts:
            kwargs["transports"] = opts["transports"]
        if specs[0].get("auth") is not None:
            kwargs["auth"] = dec(specs[0]["auth"])

        async def run():
            try:
                await client.connect(msg["url"], **kwargs)
            except socketio.exceptions.ConnectionError as e:
                if live():
                    out({"ev": "log", "client": specs[0]["client"], "message": f"connect() raised: {e}"})
        task = asyncio.ensure_future(run())
        self.clients.append((client, closed, task))
        return {}

    async def emit(self, msg):
        client, ns = self.sock(msg)
        event, args = msg["event"], tuple(dec(msg.get("args") or []))
        if "ackTag" in msg:
            tag, name = msg["ackTag"], msg["client"]
            await client.emit(event, args, namespace=ns,
                              callback=lambda *res: out({"ev": "ack", "client": name, "tag": tag, "args": enc(list(res))}))
        else:
            await client.emit(event, args, namespace=ns)
        return {}

    async def ack(self, msg):
        fut = self.acks.pop(msg["ack"], None)
        if fut is None:
            raise KeyError(f"no pending ack {msg['ack']}")
        fut.set_result(dec(msg.get("args") or []))
        return {}

    async def disconnect(self, msg):
        client, ns = self.sock(msg)
        if len(client.namespaces) > 1 or any(c is client and n != ns for c, n in self.sockets.values()):
            raise NotImplementedError("python-socketio disconnects every namespace of a client at once")
        await client.disconnect()
        return {}

    async def state(self, msg):
        client, ns = self.sock(msg)
        return {"connected": ns in client.namespaces, "id": client.get_sid(ns)}

    async def close(self, msg=None):
        clients, self.clients = self.clients, []
        for _, closed, _ in clients:
            closed.set()
        for client, _, task in clients:
            task.cancel()
            try:
                await asyncio.wait_for(client.disconnect(), 3)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        for fut in self.acks.values():
            fut.cancel()
        self.sockets.clear()
        self.acks.clear()
        return {}


async def main():
    role = sys.argv[1] if len(sys.argv) > 1 else "server"
    driver = ServerDriver() if role == "server" else ClientDriver()
    loop = asyncio.get_running_loop()
    lines = asyncio.Queue()

    def read():
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)
    threading.Thread(target=read, daemon=True).start()
    out({"ev": "ready", "lib": "python-socketio", "role": role})

    async def run(msg):
        try:
            if msg.get("cmd") not in driver.COMMANDS:
                raise KeyError(f"unknown command {msg.get('cmd')}")
            reply(msg, await getattr(driver, msg["cmd"])(msg))
        except Exception as e:  # noqa: BLE001 - every failure is a reply
            reply(msg, error=f"{type(e).__name__}: {e}")

    while True:
        line = await lines.get()
        if line is None:
            break
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        await run(msg)
    await driver.close()


if __name__ == "__main__":
    asyncio.run(main())
