/* Server sockets' Engine.IO side and multi-room emits, with C clients in one queue-mode
 * runtime: sio_socket_conn_id (the id SIO_EVENT_UPGRADE carries, stable per handle),
 * sio_socket_transport (polling-only, websocket-only, and a polling client that upgrades:
 * the same handle then reads "websocket"), sio_server_emit_rooms (a socket in two rooms
 * gets the event once; excepts; no rooms = all; ns), sio_socket_broadcast_rooms (the
 * sender excluded), and their bad arguments. */
#include "common.h"

static qwait q;

typedef struct {
  sio_client *cl;
  uint64_t id;
  sio_socket *s; /* the server side, cloned */
} peer_t;

static void connect_one(peer_t *p, sio_runtime *rt, const char *url, uint32_t transports, uint64_t server) {
  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.transports = transports;
  OK(sio_client_new(rt, SZ(url), &o, &p->cl));
  p->id = sio_client_id(p->cl);
  sio_event_free(q_wait(&q, 15000, SIO_EVENT_CLIENT_CONNECT, p->id, NULL));
  const char *sid = sio_client_socket_id(p->cl);
  CHECK(sid != NULL, "connected client without id");
  /* connections arrive in order here: each client connects before the next starts */
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_CONNECTION, server, NULL);
  CHECK(STREQ(sio_socket_id(ev->socket), sid), "CONNECTION of %s, expected %s", sio_socket_id(ev->socket), sid);
  OK(sio_socket_clone(ev->socket, &p->s));
  sio_event_free(ev);
}

/* `who` gets `name` exactly once: a marker sent after it arrives, with no copy before. */
static void got_once(peer_t *p, const char *name, const char *args) {
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, p->id, name);
  CHECK(STREQ(ev->args_json, args), "%s args %s, expected %s", name, ev->args_json, args);
  sio_event_free(ev);
  OK(sio_socket_emit(p->s, S("marker"), NULL, 0, NULL, 0));
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, p->id, "marker"));
  sio_event *dup = q_try_wait(&q, 0, SIO_EVENT_CLIENT_MESSAGE, p->id, name);
  CHECK(dup == NULL, "client %llu got `%s` twice", (unsigned long long)p->id, name);
}

/* `who` did not get `name`: a marker overtakes nothing. */
static void got_none(peer_t *p, const char *name) {
  OK(sio_socket_emit(p->s, S("marker"), NULL, 0, NULL, 0));
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, p->id, "marker"));
  sio_event *ev = q_try_wait(&q, 0, SIO_EVENT_CLIENT_MESSAGE, p->id, name);
  CHECK(ev == NULL, "client %llu got `%s`", (unsigned long long)p->id, name);
}

int main(void) {
  t_begin("test_rooms", 90);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;
  sio_server *srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  OK(sio_server_namespace(srv, S("/other"), false));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  uint64_t sid = sio_server_id(srv);
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);

  /* ---- transports and connection ids */
  peer_t a = {0}, b = {0}, c = {0};
  connect_one(&a, rt, url, SIO_TRANSPORT_POLLING, sid);
  connect_one(&b, rt, url, SIO_TRANSPORT_WEBSOCKET, sid);
  CHECK(STREQ(sio_socket_transport(a.s), "polling"), "polling-only client on %s", sio_socket_transport(a.s));
  CHECK(STREQ(sio_socket_transport(b.s), "websocket"), "websocket-only client on %s", sio_socket_transport(b.s));
  const char *ca = sio_socket_conn_id(a.s), *cb = sio_socket_conn_id(b.s);
  CHECK(ca && cb && strlen(ca) >= 16 && !STREQ(ca, cb), "connection ids `%s` `%s`", ca ? ca : "(null)", cb ? cb : "(null)");
  CHECK(!STREQ(ca, sio_socket_id(a.s)), "the connection id is the socket id");
  CHECK(sio_socket_conn_id(a.s) == ca, "the borrowed connection id moved");
  sio_socket *a2 = NULL;
  OK(sio_socket_clone(a.s, &a2));
  CHECK(STREQ(sio_socket_conn_id(a2), ca), "a clone reads another connection id");
  sio_socket_free(a2);

  /* a polling client that upgrades: the UPGRADE names its connection, the handle follows */
  connect_one(&c, rt, url, SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET, sid);
  const char *cc = sio_socket_conn_id(c.s);
  for (;;) { /* an UPGRADE of another connection would be a bug, but is not this check's */
    sio_event *up = q_wait(&q, 10000, SIO_EVENT_UPGRADE, sid, NULL);
    bool mine = STREQ(up->name, cc);
    CHECK(!mine || STREQ(up->message, "websocket"), "UPGRADE to %s", up->message);
    sio_event_free(up);
    if (mine) break;
  }
  CHECK(STREQ(sio_socket_transport(c.s), "websocket"), "after the upgrade: %s", sio_socket_transport(c.s));
  CHECK(STREQ(sio_socket_transport(a.s), "polling"), "polling-only client moved to %s", sio_socket_transport(a.s));
  CHECK(sio_socket_conn_id(NULL) == NULL && sio_socket_transport(NULL) == NULL, "NULL socket reads non-NULL");

  /* ---- io.to([r1, r2]): a in both, b in r1, c in r2 */
  OK(sio_socket_join(a.s, S("r1")));
  OK(sio_socket_join(a.s, S("r2")));
  OK(sio_socket_join(b.s, S("r1")));
  OK(sio_socket_join(c.s, S("r2")));
  const sio_str both[] = {{S("r1")}, {S("r2")}};
  OK(sio_server_emit_rooms(srv, NULL, 0, both, 2, NULL, 0, S("both"), S("[\"once\"]"), NULL, 0));
  got_once(&a, "both", "[\"once\"]");
  got_once(&b, "both", "[\"once\"]");
  got_once(&c, "both", "[\"once\"]");

  /* except [r2, nobody]: only b; binary arguments pass through */
  static const uint8_t bin[] = {0, 0xff};
  sio_buf bb = {bin, 2};
  const sio_str ex[] = {{S("r2")}, {S("nobody")}};
  OK(sio_server_emit_rooms(srv, S("/"), both, 2, ex, 2, S("some"), S("[{\"_placeholder\":true,\"num\":0}]"), &bb, 1));
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, b.id, "some");
  CHECK(ev->n_bufs == 1 && ev->bufs[0].len == 2 && memcmp(ev->bufs[0].ptr, bin, 2) == 0, "b got %zu buffers", ev->n_bufs);
  sio_event_free(ev);
  got_none(&a, "some");
  got_none(&c, "some");

  /* no rooms: everyone of the namespace, minus excepts; another namespace: nobody here */
  const sio_str only_r1[] = {{S("r1")}};
  OK(sio_server_emit_rooms(srv, NULL, 0, NULL, 0, only_r1, 1, S("rest"), NULL, 0, NULL, 0));
  got_once(&c, "rest", "[]");
  got_none(&a, "rest");
  got_none(&b, "rest");
  OK(sio_server_emit_rooms(srv, S("/other"), NULL, 0, NULL, 0, S("elsewhere"), NULL, 0, NULL, 0));
  got_none(&a, "elsewhere");

  /* ---- socket.to([r1, r2]) from a: b and c, not the sender */
  OK(sio_socket_broadcast_rooms(a.s, both, 2, NULL, 0, S("from-a"), S("[1]"), NULL, 0));
  got_once(&b, "from-a", "[1]");
  got_once(&c, "from-a", "[1]");
  got_none(&a, "from-a");
  /* socket.broadcast.except(r1) from c: a and b are in r1, c sends: nobody */
  OK(sio_socket_broadcast_rooms(c.s, NULL, 0, only_r1, 1, S("from-c"), NULL, 0, NULL, 0));
  got_none(&a, "from-c");
  got_none(&b, "from-c");
  got_none(&c, "from-c");
  /* from b to r2 (a, c) except r1 (a, b): c */
  const sio_str only_r2[] = {{S("r2")}};
  OK(sio_socket_broadcast_rooms(b.s, only_r2, 1, only_r1, 1, S("r2-not-r1"), NULL, 0, NULL, 0));
  got_once(&c, "r2-not-r1", "[]");
  got_none(&a, "r2-not-r1");

  /* ---- bad arguments */
  static const char bad_utf8[] = "r\xff";
  const sio_str bad_room[] = {{S("r1")}, {S(bad_utf8)}};
  const sio_str null_room[] = {{NULL, 3}};
  const sio_str empty_null[] = {{NULL, 0}};
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(NULL, NULL, 0, both, 2, NULL, 0, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(srv, NULL, 0, NULL, 2, NULL, 0, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(srv, NULL, 0, NULL, 0, NULL, 1, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(srv, NULL, 0, null_room, 1, NULL, 0, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_emit_rooms(srv, NULL, 0, bad_room, 2, NULL, 0, S("ev"), NULL, 0, NULL, 0));
  CHECK(strstr(sio_last_error(), "rooms[1]") != NULL, "the error does not name the room: %s", sio_last_error());
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_emit_rooms(srv, NULL, 0, NULL, 0, bad_room, 2, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_emit_rooms(srv, S("/\xff"), NULL, 0, NULL, 0, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(srv, NULL, 0, both, 2, NULL, 0, NULL, 2, NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_server_emit_rooms(srv, NULL, 0, both, 2, NULL, 0, S("ev"), S("[1,"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(srv, NULL, 0, both, 2, NULL, 0, S("ev"), S("[]"), NULL, 1));
  EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_server_emit_rooms(srv, NULL, 0, both, 2, NULL, 0, S("disconnect"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_broadcast_rooms(NULL, both, 2, NULL, 0, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_broadcast_rooms(a.s, NULL, 1, NULL, 0, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_broadcast_rooms(a.s, NULL, 0, NULL, 3, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_broadcast_rooms(a.s, NULL, 0, null_room, 1, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_socket_broadcast_rooms(a.s, bad_room, 2, NULL, 0, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_socket_broadcast_rooms(a.s, NULL, 0, bad_room, 2, S("ev"), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_socket_broadcast_rooms(a.s, NULL, 0, NULL, 0, S(bad_utf8), NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_socket_broadcast_rooms(a.s, both, 2, NULL, 0, S("ev"), S("{}"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_socket_broadcast_rooms(a.s, both, 2, NULL, 0, S("connect"), NULL, 0, NULL, 0));
  /* a room given as (NULL, 0) is the empty room, not an error; nobody is in it */
  OK(sio_server_emit_rooms(srv, NULL, 0, empty_null, 1, NULL, 0, S("empty-room"), NULL, 0, NULL, 0));
  got_none(&a, "empty-room");
  /* nothing sent by the failed calls */
  got_none(&b, "ev");
  got_none(&b, "disconnect");

  /* the borrowed connection id outlives the connection (it belongs to the handle) */
  OK(sio_client_disconnect(a.cl));
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_DISCONNECT, sid, NULL));
  CHECK(!sio_socket_connected(a.s) && STREQ(sio_socket_conn_id(a.s), ca), "after the disconnect: %s", sio_socket_conn_id(a.s));
  q_drop(&q);

  peer_t *all[] = {&a, &b, &c};
  for (int i = 0; i < 3; i++) {
    sio_socket_free(all[i]->s);
    sio_client_free(all[i]->cl);
  }
  sio_server_free(srv);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
