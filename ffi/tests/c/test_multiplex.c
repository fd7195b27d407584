/* Several namespaces over one client connection (socket.io-client's Manager), in one
 * queue-mode runtime: sio_client_socket opens /b next to /a (one Engine.IO connection,
 * auth per namespace, events per client id), disconnecting or freeing one namespace
 * leaves the others connected, a freed namespace opened again answers under its new id
 * only, the connection closes when its last namespace leaves, RECONNECT_* events carry
 * the oldest client not freed; and the bad arguments of sio_client_socket. */
#include "common.h"

static qwait q;
static uint64_t server_id;

static bool is_connection(const sio_event *ev, const char *ns) {
  return ev->kind == SIO_EVENT_CONNECTION && ev->source_id == server_id && STREQ(ev->ns, ns);
}

/* The next CONNECTION to namespace `ns`, as a cloned socket (those of other namespaces
 * stay queued: namespaces of one connection connect in no set order). */
static sio_socket *connection(const char *ns) {
  sio_event *ev = NULL;
  for (int i = 0; i < q.n && !ev; i++) {
    if (is_connection(q.pending[i], ns)) {
      ev = q.pending[i];
      memmove(&q.pending[i], &q.pending[i + 1], sizeof(sio_event *) * (size_t)(q.n - i - 1));
      q.n--;
    }
  }
  long long end = t_now_ms() + tms(15000);
  while (!ev) {
    long long left = end - t_now_ms();
    sio_event *next = NULL;
    if (left <= 0 || sio_next_event(q.rt, (uint32_t)left, &next) != SIO_OK) FAIL("no CONNECTION to %s", ns);
    if (is_connection(next, ns)) ev = next;
    else if (q.n < QBACKLOG_MAX) q.pending[q.n++] = next;
    else FAIL("too many unconsumed events");
  }
  sio_socket *s = NULL;
  OK(sio_socket_clone(ev->socket, &s));
  sio_event_free(ev);
  return s;
}

static void connected(uint64_t client) { sio_event_free(q_wait(&q, 15000, SIO_EVENT_CLIENT_CONNECT, client, NULL)); }

/* `cl` emits; the server gets it on namespace `ns` from socket `s`. */
static void reaches_server(const sio_client *cl, const sio_socket *s, const char *ns) {
  char args[64];
  snprintf(args, sizeof args, "[\"%s\"]", ns);
  OK(sio_client_emit(cl, S("hello"), SZ(args), NULL, 0));
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_MESSAGE, server_id, "hello");
  CHECK(STREQ(ev->ns, ns) && STREQ(ev->args_json, args) && STREQ(sio_socket_id(ev->socket), sio_socket_id(s)),
        "hello %s on %s from %s", ev->args_json, ev->ns, sio_socket_id(ev->socket));
  sio_event_free(ev);
}

/* What the server's `s` sends reaches client `id` only. */
static void reaches_client(const sio_socket *s, uint64_t id) {
  OK(sio_socket_emit(s, S("news"), S("[\"x\"]"), NULL, 0));
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, 0, "news");
  CHECK(ev->source_id == id, "news for client %llu arrived at %llu", (unsigned long long)id, (unsigned long long)ev->source_id);
  sio_event_free(ev);
}

static void auth_is(const sio_socket *s, const char *want) {
  char *hs = NULL;
  OK(sio_socket_handshake_json(s, &hs, NULL));
  CHECK(strstr(hs, want) != NULL, "handshake %s lacks %s", hs, want);
  sio_string_free(hs);
}

int main(void) {
  t_begin("test_multiplex", 120);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;
  sio_server *srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  OK(sio_server_namespace(srv, S("/a"), false));
  OK(sio_server_namespace(srv, S("/b"), false));
  OK(sio_server_namespace(srv, S("/c"), false));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  server_id = sio_server_id(srv);
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/a", port);

  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.transports = SIO_TRANSPORT_WEBSOCKET;
  o.auth_json = "{\"who\":\"a\"}";
  o.reconnection_delay_ms = 100;
  o.reconnection_delay_max_ms = 200;
  o.randomization_factor = 0;
  sio_client *a = NULL, *b = NULL;
  OK(sio_client_new(rt, SZ(url), &o, &a));
  OK(sio_client_socket(a, S("/b"), S("{\"who\":\"b\"}"), &b));
  uint64_t ida = sio_client_id(a), idb = sio_client_id(b);
  CHECK(ida && idb && ida != idb, "client ids %llu %llu", (unsigned long long)ida, (unsigned long long)idb);

  /* ---- bad arguments (also on a live connection: nothing is opened) */
  sio_client *bad = (sio_client *)0x1;
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_socket(NULL, S("/c"), NULL, 0, &bad));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_socket(a, NULL, 2, NULL, 0, &bad));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_socket(a, S("/c"), NULL, 0, NULL));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_client_socket(a, S("/\xc3\x28"), NULL, 0, &bad));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_client_socket(a, S("c"), NULL, 0, &bad));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_client_socket(a, S(""), NULL, 0, &bad));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_socket(a, S("/c"), S("{nope"), &bad));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_client_socket(a, S("/c"), S("{\"k\":\"\xff\"}"), &bad));
  /* a namespace already open on this connection, through either client */
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_client_socket(a, S("/b"), NULL, 0, &bad));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_client_socket(b, S("/a"), NULL, 0, &bad));
  CHECK(bad == (sio_client *)0x1, "sio_client_socket wrote *out on failure");

  /* ---- one Engine.IO connection, a CONNECT (and auth) per namespace */
  sio_socket *sa = connection("/a");
  sio_socket *sb = connection("/b");
  CHECK(STREQ(sio_socket_conn_id(sa), sio_socket_conn_id(sb)), "two connections: %s %s", sio_socket_conn_id(sa),
        sio_socket_conn_id(sb));
  char conn1[64];
  snprintf(conn1, sizeof conn1, "%s", sio_socket_conn_id(sa));
  auth_is(sa, "\"auth\":{\"who\":\"a\"}");
  auth_is(sb, "\"auth\":{\"who\":\"b\"}");
  connected(ida);
  connected(idb);
  CHECK(sio_client_connected(a) && sio_client_connected(b), "not both connected");
  const char *idsb = sio_client_socket_id(b);
  CHECK(idsb && STREQ(idsb, sio_socket_id(sb)), "b's socket id %s, server %s", idsb ? idsb : "(null)", sio_socket_id(sb));
  reaches_server(a, sa, "/a");
  reaches_server(b, sb, "/b");
  reaches_client(sa, ida);
  reaches_client(sb, idb);

  /* ---- a leaves its namespace; b stays */
  OK(sio_client_disconnect(a));
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_DISCONNECT, ida, NULL);
  CHECK(ev->reason == SIO_REASON_IO_CLIENT_DISCONNECT && !ev->active, "a left with %d", (int)ev->reason);
  sio_event_free(ev);
  ev = q_wait(&q, 5000, SIO_EVENT_DISCONNECT, server_id, NULL);
  CHECK(STREQ(ev->ns, "/a") && ev->reason == SIO_REASON_CLIENT_NAMESPACE_DISCONNECT, "server saw %s leave with %d", ev->ns,
        (int)ev->reason);
  sio_event_free(ev);
  CHECK(!sio_client_connected(a) && sio_client_connected(b) && sio_socket_connected(sb), "b went with a");
  reaches_server(b, sb, "/b");
  CHECK(q_try_wait(&q, 0, SIO_EVENT_CLIENT_DISCONNECT, idb, NULL) == NULL, "b disconnected");
  sio_socket_free(sa);

  /* a joins again over the same connection */
  OK(sio_client_connect(a));
  sa = connection("/a");
  connected(ida);
  CHECK(STREQ(sio_socket_conn_id(sa), conn1), "a came back on %s, not %s", sio_socket_conn_id(sa), conn1);

  /* ---- freeing b leaves /b only; /b opened again answers under its new id */
  sio_client_free(b);
  ev = q_wait(&q, 5000, SIO_EVENT_DISCONNECT, server_id, NULL);
  CHECK(STREQ(ev->ns, "/b") && ev->reason == SIO_REASON_CLIENT_NAMESPACE_DISCONNECT, "%s left with %d", ev->ns, (int)ev->reason);
  sio_event_free(ev);
  sio_socket_free(sb);
  reaches_server(a, sa, "/a");
  sio_client *b2 = NULL;
  OK(sio_client_socket(a, S("/b"), NULL, 0, &b2));
  uint64_t idb2 = sio_client_id(b2);
  CHECK(idb2 != idb && idb2 != ida, "reused id %llu", (unsigned long long)idb2);
  sb = connection("/b");
  connected(idb2);
  CHECK(STREQ(sio_socket_conn_id(sb), conn1), "/b again on %s, not %s", sio_socket_conn_id(sb), conn1);
  reaches_client(sb, idb2);
  reaches_server(b2, sb, "/b");
  CHECK(q_try_wait(&q, 0, SIO_EVENT_CLIENT_CONNECT, idb, NULL) == NULL, "the freed client still reports");

  /* ---- the connection closes with its last namespace: a new one afterwards */
  OK(sio_client_disconnect(a));
  OK(sio_client_disconnect(b2));
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_CLIENT_DISCONNECT, ida, NULL));
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_CLIENT_DISCONNECT, idb2, NULL));
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_DISCONNECT, server_id, NULL));
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_DISCONNECT, server_id, NULL));
  sio_socket_free(sa);
  sio_socket_free(sb);
  OK(sio_client_connect(b2));
  sb = connection("/b");
  connected(idb2);
  CHECK(!STREQ(sio_socket_conn_id(sb), conn1), "the connection stayed open after its last namespace left");
  char conn2[64];
  snprintf(conn2, sizeof conn2, "%s", sio_socket_conn_id(sb));
  OK(sio_client_connect(a));
  sa = connection("/a");
  connected(ida);
  CHECK(STREQ(sio_socket_conn_id(sa), conn2), "a joined %s, b is on %s", sio_socket_conn_id(sa), conn2);

  /* ---- a freed: manager events go to b2, the oldest left. The server goes away (a
   * transport close for /b and /c, one reconnection for both) and comes back on the port. */
  sio_client *c = NULL;
  OK(sio_client_socket(b2, S("/c"), S("{\"who\":\"c\"}"), &c));
  uint64_t idc = sio_client_id(c);
  sio_socket *sc = connection("/c");
  auth_is(sc, "\"auth\":{\"who\":\"c\"}");
  connected(idc);
  sio_client_free(a);
  ev = q_wait(&q, 5000, SIO_EVENT_DISCONNECT, server_id, NULL);
  CHECK(STREQ(ev->ns, "/a"), "%s left", ev->ns);
  sio_event_free(ev);
  sio_socket_free(sa);
  sio_socket_free(sb);
  sio_socket_free(sc);
  OK(sio_server_close(srv));
  uint64_t left[] = {idb2, idc};
  for (int i = 0; i < 2; i++) {
    ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_DISCONNECT, left[i], NULL);
    CHECK(ev->reason == SIO_REASON_TRANSPORT_CLOSE && ev->active, "%llu left with %d, active %d", (unsigned long long)left[i],
          (int)ev->reason, ev->active);
    sio_event_free(ev);
  }
  ev = q_wait(&q, 5000, SIO_EVENT_RECONNECT_ATTEMPT, 0, NULL);
  CHECK(ev->source_id == idb2, "RECONNECT_ATTEMPT for %llu, expected b2 %llu (a was %llu)", (unsigned long long)ev->source_id,
        (unsigned long long)idb2, (unsigned long long)ida);
  sio_event_free(ev);
  sio_server *srv2 = NULL;
  OK(sio_server_new(rt, NULL, &srv2));
  OK(sio_server_namespace(srv2, S("/b"), false));
  OK(sio_server_namespace(srv2, S("/c"), false));
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
  OK(sio_server_listen(srv2, SZ(addr), NULL));
  server_id = sio_server_id(srv2);
  ev = q_wait(&q, 10000, SIO_EVENT_RECONNECT, 0, NULL);
  CHECK(ev->source_id == idb2, "RECONNECT for %llu", (unsigned long long)ev->source_id);
  sio_event_free(ev);
  connected(idb2);
  connected(idc);
  CHECK(q_try_wait(&q, 0, SIO_EVENT_RECONNECT_ATTEMPT, ida, NULL) == NULL, "the freed client got manager events");
  sb = connection("/b");
  sc = connection("/c");
  CHECK(STREQ(sio_socket_conn_id(sb), sio_socket_conn_id(sc)), "/b and /c came back apart");
  reaches_server(b2, sb, "/b");
  reaches_server(c, sc, "/c");
  sio_socket_free(sb);

  q_drop(&q);
  sio_socket_free(sc);
  sio_client_free(c);
  sio_client_free(b2);
  sio_server_free(srv);
  sio_server_free(srv2);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
