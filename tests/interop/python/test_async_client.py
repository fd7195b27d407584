"""python-socketio `socketio.AsyncClient` (asyncio + aiohttp) against the
sio interop server (tests/interop/CONTRACT.md).

Each test is a plain function running its own event loop with `arun`, which
shuts every client down before the loop closes."""

import asyncio
import time

import pytest
import socketio

from recorders import TIMEOUT, AsyncRecorder

ARGS = (1, "two", b"\x00\x01\xfe\xff",
        {"nested": b"\x10\x20", "list": [b"a", 2.5, None, True, {"deep": b""}],
         "text": "caf\u00e9 \u2603"})
REASON = socketio.AsyncClient.reason


class Clients:
    """Creates AsyncClients whose handlers record into `client.rec`."""

    def __init__(self):
        self.clients = []

    def make(self, namespaces=("/",), events=("welcome", "echo"), **kw):
        kw.setdefault("reconnection", False)
        c = socketio.AsyncClient(**kw)
        rec = AsyncRecorder()
        for ns in namespaces:
            for ev in ("connect", "disconnect", "connect_error", *events):
                c.on(ev, rec.handler(ev, ns), namespace=ns)
        c.rec = rec
        self.clients.append(c)
        return c

    async def connected(self, server, namespaces=("/",), url_suffix="",
                        client_kw=None, **kw):
        c = self.make(namespaces=namespaces, **(client_kw or {}))
        return await connect(c, server, namespaces=namespaces,
                             url_suffix=url_suffix, **kw)

    async def shutdown_all(self):
        for c in self.clients:
            try:
                await asyncio.wait_for(c.shutdown(), TIMEOUT)
            except BaseException:  # pragma: no cover - best effort teardown
                pass


async def connect(client, server, namespaces=("/",), url_suffix="", **kw):
    kw.setdefault("wait_timeout", TIMEOUT)
    await client.connect(server.url + url_suffix, namespaces=list(namespaces),
                         **kw)
    return client


def arun(main, timeout=90):
    """Run `await main(clients)` in a fresh event loop, then shut down every
    client made through `clients`."""
    async def runner():
        clients = Clients()
        try:
            await asyncio.wait_for(main(clients), timeout)
        finally:
            await clients.shutdown_all()
    asyncio.run(runner())


def flush_before_close(client):
    """See test_sync_client.flush_before_close: python-engineio's
    AsyncClient.disconnect() does not wait for its write loop to send the
    queued socket.io DISCONNECT packets before it sends CLOSE / closes the
    websocket.  Make it wait (asyncio.Queue.join())."""
    eio = client.eio
    orig = eio.disconnect

    async def disconnect(*args, **kwargs):
        if eio.state == "connected":
            await asyncio.wait_for(eio.queue.join(), TIMEOUT)
        return await orig(*args, **kwargs)
    eio.disconnect = disconnect


# ------------------------------------------------------------- transports
def test_connect_polling_only(server):
    async def main(cl):
        c = await cl.connected(server, transports=["polling"])
        sid = c.get_sid("/")
        welcome = (await c.rec.wait("welcome"))[0]
        assert welcome["id"] == sid
        assert welcome["transport"] == "polling"
        log = await server.await_log({"ev": "connection", "ns": "/",
                                      "id": sid})
        assert log["transport"] == "polling"
        assert log["recovered"] is False
        assert c.transport() == "polling"
        assert await c.call("transport", timeout=TIMEOUT) == "polling"
        assert await c.call("echo", ("over", b"polling"),
                            timeout=TIMEOUT) == ("over", b"polling")
        assert server.find_logs({"ev": "upgrade"}) == []
    arun(main)


def test_connect_websocket_only(server):
    async def main(cl):
        c = await cl.connected(server, transports=["websocket"])
        sid = c.get_sid("/")
        welcome = (await c.rec.wait("welcome"))[0]
        assert welcome["id"] == sid
        assert welcome["transport"] == "websocket"
        log = await server.await_log({"ev": "connection", "ns": "/",
                                      "id": sid})
        assert log["transport"] == "websocket"
        assert c.transport() == "websocket"
        assert await c.call("transport", timeout=TIMEOUT) == "websocket"
        assert await c.call("echo", ("over", b"websocket"),
                            timeout=TIMEOUT) == ("over", b"websocket")
        assert server.find_logs({"ev": "upgrade"}) == []
    arun(main)


def test_connect_default_upgrades_to_websocket(server):
    async def main(cl):
        c = await cl.connected(server)
        sid = c.get_sid("/")
        # python-engineio upgrades right after the polling handshake, before
        # it sends the namespace CONNECT: the socket is created on websocket
        welcome = (await c.rec.wait("welcome"))[0]
        log = await server.await_log({"ev": "connection", "ns": "/",
                                      "id": sid})
        assert log["transport"] == welcome["transport"] == "websocket"
        assert c.transport() == "websocket"
        assert await c.call("transport", timeout=TIMEOUT) == "websocket"
        assert await c.call("echo", ("after", b"upgrade"),
                            timeout=TIMEOUT) == ("after", b"upgrade")
        # the contract logs every upgrade, also one that happens before the
        # first namespace is joined
        up = await server.await_log({"ev": "upgrade"})
        assert up["transport"] == "websocket"
        assert up["id"] in (c.sid, sid)  # engine id (or socket id)
    arun(main)


# ----------------------------------------------------------- welcome, auth
def test_welcome_payload_and_auth(server):
    auth = {"token": "abc", "n": 1, "nested": {"list": [1, "x", None]}}

    async def main(cl):
        c = await cl.connected(server, url_suffix="/?foo=bar&n=1", auth=auth,
                               transports=["polling"])
        welcome = dict((await c.rec.wait("welcome"))[0])
        query = welcome.pop("query")
        assert welcome == {"id": c.get_sid("/"), "ns": "/", "auth": auth,
                           "recovered": False, "transport": "polling"}
        assert query["foo"] == "bar"
        assert query["n"] == "1"
        assert query["EIO"] == "4"
        assert query["transport"] == "polling"
        hs = await c.call("handshake", timeout=TIMEOUT)
        assert hs["auth"] == auth
        assert hs["query"]["foo"] == "bar"
    arun(main)


def test_welcome_without_auth_is_empty_object(server):
    async def main(cl):
        c = await cl.connected(server, transports=["websocket"])
        welcome = (await c.rec.wait("welcome"))[0]
        assert welcome["auth"] == {}
        assert welcome["ns"] == "/"
        assert welcome["recovered"] is False
    arun(main)


# -------------------------------------------------------------- namespaces
def test_multiple_namespaces(server):
    async def main(cl):
        c = await cl.connected(server, namespaces=["/", "/dyn-7"])
        root, dyn = c.get_sid("/"), c.get_sid("/dyn-7")
        assert root and dyn and root != dyn
        w_root = (await c.rec.wait("welcome", "/"))[0]
        w_dyn = (await c.rec.wait("welcome", "/dyn-7"))[0]
        assert (w_root["ns"], w_root["id"]) == ("/", root)
        assert (w_dyn["ns"], w_dyn["id"]) == ("/dyn-7", dyn)
        await server.await_log({"ev": "connection", "ns": "/", "id": root})
        await server.await_log({"ev": "connection", "ns": "/dyn-7",
                                "id": dyn})
        assert await c.call("echo", ("dyn", b"\x07"), namespace="/dyn-7",
                            timeout=TIMEOUT) == ("dyn", b"\x07")
        assert await c.rec.wait("echo", "/dyn-7") == ("dyn", b"\x07")
        assert await c.call("echo", "root", timeout=TIMEOUT) == "root"
        assert await c.rec.wait("echo", "/") == ("root",)
        assert c.rec.all("echo", "/dyn-7") == [("dyn", b"\x07")]
        assert c.rec.all("echo", "/") == [("root",)]
    arun(main)


# ------------------------------------------------------ events and binary
@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_events_with_several_args_and_binary(server, transports):
    async def main(cl):
        c = await cl.connected(server, transports=transports)
        await c.emit("echo", ARGS)
        assert await c.rec.wait("echo") == ARGS
        await c.emit("echo", b"\x00only-bytes\xff")
        got = await c.rec.wait("echo", n=2)
        assert got == (b"\x00only-bytes\xff",)
        assert isinstance(got[0], bytes)
        await c.emit("echo", ([b"x", [b"y"]], {}, []))
        assert await c.rec.wait("echo", n=3) == ([b"x", [b"y"]], {}, [])
    arun(main)


# -------------------------------------------------------------------- acks
@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_ack_client_to_server(server, transports):
    async def main(cl):
        c = await cl.connected(server, transports=transports)
        assert await c.call("echo", ARGS, timeout=TIMEOUT) == ARGS
        assert await c.call("echo", b"\x01\x02", timeout=TIMEOUT) == \
            b"\x01\x02"
        assert await c.call("echo", {"a": [1, {"b": b"\x03"}]},
                            timeout=TIMEOUT) == {"a": [1, {"b": b"\x03"}]}
        fut = asyncio.get_running_loop().create_future()

        async def cb(*args):
            fut.set_result(args)
        await c.emit("echo", ("cb", 1), callback=cb)
        assert await asyncio.wait_for(fut, TIMEOUT) == ("cb", 1)
    arun(main)


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_ack_server_to_client(server, transports):
    async def main(cl):
        c = cl.make(events=())

        async def answer(arg):
            return "yes", {"bin": b"\x01\x02", "q": arg}
        c.on("question", c.rec.handler("question", reply=answer))
        await connect(c, server, transports=transports)
        reply = await c.call("ask", ("question", {"q": 1, "b": b"\x03"}),
                             timeout=TIMEOUT)
        assert c.rec.all("question") == [({"q": 1, "b": b"\x03"},)]
        assert reply == (None, ["yes", {"bin": b"\x01\x02",
                                        "q": {"q": 1, "b": b"\x03"}}])
    arun(main)


def test_ack_server_to_client_single_value(server):
    async def main(cl):
        c = cl.make(events=())
        # a plain (non-async) handler works with AsyncClient too
        c.on("one", lambda arg: arg * 2)
        await connect(c, server)
        assert await c.call("ask", ("one", 21), timeout=TIMEOUT) == \
            (None, [42])
    arun(main)


def test_ack_server_to_client_timeout(server):
    async def main(cl):
        release = asyncio.Event()
        c = cl.make(events=())

        async def late(arg):
            # answers only after the server's 2000 ms ack timeout
            await asyncio.wait_for(release.wait(), TIMEOUT)
            return "late"
        c.on("slow", c.rec.handler("slow", reply=late))
        await connect(c, server)
        t0 = time.monotonic()
        try:
            reply = await c.call("ask", ("slow", 1), timeout=TIMEOUT)
        finally:
            release.set()
        elapsed = time.monotonic() - t0
        assert c.rec.all("slow") == [(1,)]
        assert reply == ("timeout", None)
        assert 1.8 <= elapsed < TIMEOUT, elapsed
        assert await c.call("echo", "still-alive", timeout=TIMEOUT) == \
            "still-alive"
    arun(main)


# ------------------------------------------------------------------- rooms
def test_join_and_leave(server):
    async def main(cl):
        c = await cl.connected(server)
        sid = c.get_sid("/")
        assert await c.call("join", "r1", timeout=TIMEOUT) == \
            sorted([sid, "r1"])
        assert await c.call("join", "a0", timeout=TIMEOUT) == \
            sorted([sid, "r1", "a0"])
        assert await c.call("leave", "r1", timeout=TIMEOUT) == \
            sorted([sid, "a0"])
    arun(main)


def test_to_room(server):
    async def main(cl):
        kw = {"events": ("welcome", "hello", "again")}
        a = await cl.connected(server, client_kw=kw)
        b = await cl.connected(server, client_kw=kw, transports=["polling"])
        o = await cl.connected(server, client_kw=kw)
        assert await a.call("join", "r1", timeout=TIMEOUT) == \
            sorted([a.get_sid("/"), "r1"])
        await b.call("join", "r1", timeout=TIMEOUT)
        await o.emit("to-room", ("r1", "hello", 1, {"b": b"\x09"}))
        assert await a.rec.wait("hello") == (1, {"b": b"\x09"})
        assert await b.rec.wait("hello") == (1, {"b": b"\x09"})
        await o.call("transport", timeout=TIMEOUT)  # round trip after emit
        assert o.rec.all("hello") == []
        await a.emit("to-room", ("r1", "again", "x"))
        assert await a.rec.wait("again") == ("x",)
        assert await b.rec.wait("again") == ("x",)
        await o.call("transport", timeout=TIMEOUT)
        assert o.rec.all("again") == []
    arun(main)


def test_broadcast_excludes_sender(server):
    async def main(cl):
        kw = {"events": ("welcome", "news")}
        a = await cl.connected(server, client_kw=kw)
        b = await cl.connected(server, client_kw=kw)
        c = await cl.connected(server, client_kw=kw, transports=["polling"])
        await a.emit("broadcast", ("news", "x", {"b": b"\x01"}))
        assert await b.rec.wait("news") == ("x", {"b": b"\x01"})
        assert await c.rec.wait("news") == ("x", {"b": b"\x01"})
        await a.call("transport", timeout=TIMEOUT)
        assert a.rec.all("news") == []
    arun(main)


def test_fetch_sees_data(server):
    async def main(cl):
        a = await cl.connected(server)
        b = await cl.connected(server, transports=["polling"])
        assert await a.call("set-data", {"name": "alice", "n": [1, 2]},
                            timeout=TIMEOUT) is True
        assert await b.call("set-data", {"name": "bob"},
                            timeout=TIMEOUT) is True
        await a.call("join", "r1", timeout=TIMEOUT)
        sa, sb = a.get_sid("/"), b.get_sid("/")
        expected = sorted([
            {"id": sa, "rooms": sorted([sa, "r1"]),
             "data": {"name": "alice", "n": [1, 2]}},
            {"id": sb, "rooms": [sb], "data": {"name": "bob"}},
        ], key=lambda s: s["id"])
        assert await a.call("fetch", timeout=TIMEOUT) == expected
        assert await b.call("fetch", timeout=TIMEOUT) == expected
    arun(main)


# -------------------------------------------------- refused namespaces
def test_admin_refused_with_data(server):
    async def main(cl):
        c = cl.make(namespaces=["/admin"])
        with pytest.raises(socketio.exceptions.ConnectionError) as ei:
            await connect(c, server, namespaces=["/admin"],
                          auth={"token": "nope"})
        assert str(ei.value) == \
            "One or more namespaces failed to connect: /admin"
        # python-socketio passes the CONNECT_ERROR payload as one argument
        assert c.rec.all("connect_error", "/admin") == [
            ({"message": "unauthorized", "data": {"reason": "bad token"}},)]
        assert c.rec.all("connect", "/admin") == []
        assert c.rec.all("welcome", "/admin") == []
        assert not c.connected
        assert server.find_logs({"ev": "connection", "ns": "/admin"}) == []
    arun(main)


def test_admin_accepted_with_token(server):
    async def main(cl):
        c = await cl.connected(server, namespaces=["/admin"],
                               auth={"token": "secret"})
        welcome = (await c.rec.wait("welcome", "/admin"))[0]
        assert welcome["ns"] == "/admin"
        assert welcome["auth"] == {"token": "secret"}
        assert welcome["id"] == c.get_sid("/admin")
        await server.await_log({"ev": "connection", "ns": "/admin",
                                "id": c.get_sid("/admin")})
    arun(main)


def test_unknown_namespace_refused(server):
    async def main(cl):
        c = cl.make(namespaces=["/nope"])
        with pytest.raises(socketio.exceptions.ConnectionError) as ei:
            await connect(c, server, namespaces=["/nope"],
                          transports=["websocket"])
        assert str(ei.value) == \
            "One or more namespaces failed to connect: /nope"
        assert c.rec.all("connect_error", "/nope") == [
            ({"message": "Invalid namespace"},)]
        assert not c.connected
    arun(main)


def test_unknown_namespace_next_to_root(server):
    async def main(cl):
        c = cl.make(namespaces=["/", "/nope"])
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect(c, server, namespaces=["/", "/nope"])
        assert c.rec.all("connect_error", "/nope") == [
            ({"message": "Invalid namespace"},)]
        assert c.rec.all("connect_error", "/") == []
        await server.await_log({"ev": "connection", "ns": "/"})
    arun(main)


# ----------------------------------------------------------- disconnects
@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_server_disconnect_no_reconnect(server, transports):
    async def main(cl):
        c = cl.make(reconnection=True, reconnection_delay=0.1,
                    reconnection_delay_max=0.2, randomization_factor=0)
        await connect(c, server, transports=transports)
        sid = c.get_sid("/")
        await c.rec.wait("welcome")
        await c.emit("disconnect-me")
        # python-socketio >= 5.12 passes the reason argument
        assert await c.rec.wait("disconnect") == (REASON.SERVER_DISCONNECT,)
        log = await server.await_log({"ev": "disconnect", "ns": "/",
                                      "id": sid})
        assert log["reason"] == "server namespace disconnect"
        await server.await_no_log(
            lambda e: e["ev"] == "connection" and e["id"] != sid,
            within=1.5)
        assert c.rec.count("connect") == 1
        assert not c.connected
    arun(main)


def test_server_disconnect_one_namespace_keeps_the_others(server):
    """disconnect-me is socket.disconnect(false): only that namespace goes,
    the connection and the other namespaces stay."""
    async def main(cl):
        c = await cl.connected(server, namespaces=["/", "/dyn-1"])
        root, dyn = c.get_sid("/"), c.get_sid("/dyn-1")
        await c.emit("disconnect-me", namespace="/dyn-1")
        assert await c.rec.wait("disconnect", "/dyn-1") == \
            (REASON.SERVER_DISCONNECT,)
        log = await server.await_log({"ev": "disconnect", "ns": "/dyn-1",
                                      "id": dyn})
        assert log["reason"] == "server namespace disconnect"
        assert c.connected
        assert await c.call("echo", ("still", b"\x01"), timeout=TIMEOUT) == \
            ("still", b"\x01")
        assert c.rec.all("disconnect", "/") == []
        assert server.find_logs({"ev": "disconnect", "id": root}) == []
    arun(main)


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_client_disconnect_seen_by_server(server, transports):
    async def main(cl):
        c = await cl.connected(server, namespaces=["/", "/dyn-1"],
                               transports=transports)
        sids = {ns: c.get_sid(ns) for ns in ("/", "/dyn-1")}
        assert await c.call("join", "r1", timeout=TIMEOUT) == \
            sorted([sids["/"], "r1"])
        flush_before_close(c)
        await c.disconnect()
        for ns, sid in sids.items():
            ing = await server.await_log({"ev": "disconnecting", "ns": ns,
                                          "id": sid})
            log = await server.await_log({"ev": "disconnect", "ns": ns,
                                          "id": sid})
            assert ing["reason"] == "client namespace disconnect", ing
            assert log["reason"] == "client namespace disconnect", log
        assert server.find_logs(
            {"ev": "disconnecting", "ns": "/"})[0]["rooms"] == \
            sorted([sids["/"], "r1"])
        assert await c.rec.wait("disconnect") == (REASON.CLIENT_DISCONNECT,)
        assert not c.connected
    arun(main)


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_client_disconnect_unflushed_closes_server_socket(start_server, transports):
    # As in the sync test: a dropped last packet leaves the heartbeat (1 s here).
    server = start_server("--ping-interval", "1000", "--ping-timeout", "1000")

    async def main(cl):
        c = await cl.connected(server, transports=transports)
        sid = c.get_sid("/")
        await c.call("transport", timeout=TIMEOUT)
        await c.disconnect()
        log = await server.await_log({"ev": "disconnect", "ns": "/",
                                      "id": sid}, timeout=5)
        assert log["reason"] in ("client namespace disconnect",
                                 "transport close", "ping timeout"), log
    arun(main)


@pytest.mark.parametrize("transports", [["polling"], None],
                         ids=["polling", "upgrade"])
def test_reconnect_after_server_restart(server, transports):
    async def main(cl):
        c = cl.make(reconnection=True, reconnection_delay=0.1,
                    reconnection_delay_max=0.5, randomization_factor=0)
        await connect(c, server, transports=transports)
        first = c.get_sid("/")
        assert (await c.rec.wait("welcome"))[0]["id"] == first
        await server.await_log({"ev": "connection", "id": first})
        server.kill()
        assert await c.rec.wait("disconnect") == (REASON.TRANSPORT_ERROR,)
        await asyncio.to_thread(server.restart)  # same port
        await c.rec.wait("connect", n=2, timeout=3 * TIMEOUT)
        second = (await c.rec.wait("welcome", n=2))[0]
        assert second["id"] != first
        assert c.get_sid("/") == second["id"]
        await server.await_log({"ev": "connection", "ns": "/",
                                "id": second["id"]})
        assert await c.call("echo", ("back", b"\x00"), timeout=TIMEOUT) == \
            ("back", b"\x00")
    arun(main)


# ----------------------------------------------------- per-packet middleware
def test_forbidden_event_rejected_by_middleware(server):
    async def main(cl):
        c = await cl.connected(server,
                               client_kw={"events": ("welcome", "error-seen")})
        await c.emit("forbidden", (1, 2))
        assert await c.rec.wait("error-seen") == ("unauthorized event",)
        log = await server.await_log({"ev": "error", "id": c.get_sid("/")})
        assert log["message"] == "unauthorized event"
        assert c.connected
    arun(main)
