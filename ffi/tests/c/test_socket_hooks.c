/* The listeners of one server socket, against the official socket.io-client
 * (peers/client.cjs, WebSocket only), the server in queue mode:
 *
 * - sio_socket_on_any / sio_socket_prepend_any see every event the client sends, with
 *   its arguments and buffers, prepended first, BEFORE the server-wide packet middleware
 *   and the socket's own (socket.io: onAny runs before socket.use), also for an event a
 *   middleware refuses; sio_socket_off_any stops them.
 * - sio_socket_on_any_outgoing / prepend: sio_socket_emit (inside the call) and
 *   sio_socket_emit_with_ack; sio_socket_off_any_outgoing stops them.
 * - sio_socket_use: runs after the server-wide middleware, sees the user data; refusing
 *   drops the event (no SIO_EVENT_MESSAGE, the client's ack never answered) and calls
 *   sio_socket_on_error with the message; a server-wide refusal reaches on_error too and
 *   skips the socket's middleware.
 * - sio_socket_set_user_data / sio_socket_user_data: the same pointer through every
 *   handle of the socket (events, middleware calls); free_fn runs once when replaced,
 *   not when the same pointer is stored again, and once when the core frees the socket
 *   after its disconnection.
 * - sio_socket_watch_conn: `packet` (text and binary message, pong), `packetCreate`
 *   (the emitted event, ping), `drain`, then `close` with the reason, and
 *   SIO_ERR_DISCONNECTED once the connection is closed. */
#include "common.h"
#include "calllog.h"

static calllog lg;

typedef struct {
  const char *tag;
} any_tag;

static int ud_a, ud_b; /* the user-data pointers are their addresses */
static pthread_mutex_t freed_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed_cv = PTHREAD_COND_INITIALIZER;
static int freed_a, freed_b;

static void free_ud(void *p) {
  pthread_mutex_lock(&freed_mu);
  if (p == &ud_a) freed_a++;
  if (p == &ud_b) freed_b++;
  pthread_cond_broadcast(&freed_cv);
  pthread_mutex_unlock(&freed_mu);
}

static const char *ud_name(const sio_socket *s) {
  void *p = sio_socket_user_data(s);
  return p == &ud_a ? "A" : p == &ud_b ? "B" : p ? "?" : "none";
}

static void any_cb(void *user_data, const sio_socket *socket, const char *name, size_t name_len, const char *args_json,
                   size_t args_json_len, const sio_buf *bufs, size_t n_bufs) {
  const any_tag *t = user_data;
  char hex[130] = "";
  if (n_bufs) t_hex(bufs[0].ptr, bufs[0].len < 64 ? bufs[0].len : 64, hex);
  calllog_add(&lg, "%s:%.*s:%.*s:%zu:%s:ud=%s:id=%s", t->tag, (int)name_len, name, (int)args_json_len, args_json, n_bufs,
              hex, ud_name(socket), sio_socket_id(socket) ? "yes" : "no");
}

static const char *server_mw(void *user_data, const sio_socket *socket, const char *name, size_t name_len,
                             const char *args_json, size_t args_json_len, const sio_buf *bufs, size_t n_bufs) {
  (void)user_data, (void)socket, (void)args_json, (void)args_json_len, (void)bufs, (void)n_bufs;
  calllog_add(&lg, "srv:%.*s", (int)name_len, name);
  return name_len == 13 && memcmp(name, "srv-forbidden", 13) == 0 ? "srv refused" : NULL;
}

static const char *socket_mw(void *user_data, const sio_socket *socket, const char *name, size_t name_len,
                             const char *args_json, size_t args_json_len, const sio_buf *bufs, size_t n_bufs) {
  (void)args_json, (void)args_json_len, (void)bufs, (void)n_bufs;
  calllog_add(&lg, "use:%.*s:ud=%s:%s", (int)name_len, name, ud_name(socket), (const char *)user_data);
  return name_len == 9 && memcmp(name, "forbidden", 9) == 0 ? "not allowed" : NULL;
}

static void on_error(void *user_data, const sio_socket *socket, const char *message, size_t message_len) {
  (void)user_data;
  calllog_add(&lg, "error:%.*s:len=%zu:ud=%s", (int)message_len, message, message_len, ud_name(socket));
}

static void on_conn(void *user_data, const sio_engine_activity *a) {
  (void)user_data;
  calllog_engine(&lg, "conn", a);
}

int main(void) {
  t_begin("test_socket_hooks", 90);
  calllog_init(&lg);

  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  qwait q = {.rt = rt};
  sio_server_options so;
  OK(sio_server_options_default(&so));
  so.ping_interval_ms = 300; /* a ping (packetCreate) and its pong (packet) come soon */
  sio_server *srv = NULL;
  OK(sio_server_new(rt, &so, &srv));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  OK(sio_server_set_packet_middleware(srv, server_mw, NULL));

  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
  peer cli;
  peer_spawn(&cli, "client", "ffi/tests/c/peers/client.cjs", url, "{\"transports\":[\"websocket\"]}", NULL);
  free(peer_wait(&cli, 15000, "\"ev\":\"connect\""));
  sio_event *ev = q_wait(&q, 10000, SIO_EVENT_CONNECTION, 0, NULL);
  sio_socket *sock = NULL;
  OK(sio_socket_clone(ev->socket, &sock));
  sio_event_free(ev);

  /* ---- argument checks */
  static any_tag t_any = {"any"}, t_first = {"first"}, t_out = {"out"}, t_out_first = {"outfirst"};
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_on_any(NULL, any_cb, &t_any));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_on_any(sock, NULL, &t_any));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_on_any_outgoing(sock, NULL, &t_any));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_off_any(NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_use(sock, NULL, NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_on_error(NULL, on_error, NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_watch_conn(sock, NULL, NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_set_user_data(NULL, &ud_a, free_ud));
  CHECK(sio_socket_user_data(NULL) == NULL, "user data of NULL");
  CHECK(sio_socket_user_data(sock) == NULL, "user data before any was set");

  /* ---- listeners (the client sends nothing until told to) */
  OK(sio_socket_watch_conn(sock, on_conn, NULL));
  OK(sio_socket_on_any(sock, any_cb, &t_any));
  OK(sio_socket_prepend_any(sock, any_cb, &t_first));
  OK(sio_socket_on_any_outgoing(sock, any_cb, &t_out));
  OK(sio_socket_prepend_any_outgoing(sock, any_cb, &t_out_first));
  OK(sio_socket_use(sock, socket_mw, "mw1"));
  OK(sio_socket_on_error(sock, on_error, NULL));
  OK(sio_socket_set_user_data(sock, &ud_a, free_ud));
  CHECK(sio_socket_user_data(sock) == &ud_a, "user data just set");

  /* ---- an event with a buffer: catch-alls (prepended first), then the middlewares */
  peer_send(&cli, "{\"cmd\":\"emit\",\"name\":\"hello\",\"args\":[1,{\"$bin\":\"0102\"}]}");
  ev = q_wait(&q, 5000, SIO_EVENT_MESSAGE, 0, "hello");
  CHECK(sio_socket_user_data(ev->socket) == &ud_a, "user data through the event's own handle");
  CHECK(ev->n_bufs == 1 && ev->bufs[0].len == 2, "hello buffers");
  sio_event_free(ev);
  const char *args = "[1,{\"_placeholder\":true,\"num\":0}]";
  char want[256];
  snprintf(want, sizeof want, "first:hello:%s:1:0102:ud=A:id=yes", args);
  int i_first = calllog_find(&lg, want);
  snprintf(want, sizeof want, "any:hello:%s:1:0102:ud=A:id=yes", args);
  int i_any = calllog_find(&lg, want);
  int i_srv = calllog_find(&lg, "srv:hello");
  int i_use = calllog_find(&lg, "use:hello:ud=A:mw1");
  if (!(i_first >= 0 && i_first < i_any && i_any < i_srv && i_srv < i_use)) {
    calllog_dump(&lg);
    FAIL("order prepend_any < on_any < server middleware < socket middleware: %d %d %d %d", i_first, i_any, i_srv,
         i_use);
  }
  /* socket.conn: the binary event is a text packet announcing the attachment, then the buffer */
  calllog_wait(&lg, 5000, "conn|packet|message|51-[\"hello\",1,{\"_placeholder\":true,\"num\":0}]||||");
  calllog_wait(&lg, 5000, "conn|packet|message||0102||||text=no");

  /* ---- refused by the socket's middleware: error event, no MESSAGE, no ack answer */
  peer_send(&cli, "{\"cmd\":\"emit\",\"name\":\"forbidden\",\"args\":[2],\"seq\":1}");
  int i_err = calllog_wait(&lg, 5000, "error:not allowed:len=11:ud=A");
  int i_any_f = calllog_find(&lg, "any:forbidden:[2]");
  int i_use_f = calllog_find(&lg, "use:forbidden");
  if (!(i_any_f >= 0 && i_any_f < i_use_f && i_use_f < i_err)) {
    calllog_dump(&lg);
    FAIL("a refused event: on_any %d < use %d < error %d", i_any_f, i_use_f, i_err);
  }
  /* refused by the server-wide middleware: error event, the socket's middleware skipped */
  peer_send(&cli, "{\"cmd\":\"emit\",\"name\":\"srv-forbidden\",\"args\":[]}");
  calllog_wait(&lg, 5000, "error:srv refused:");
  CHECK(calllog_find(&lg, "any:srv-forbidden:[]") >= 0, "on_any did not see the refused srv-forbidden");
  CHECK(calllog_find(&lg, "use:srv-forbidden") < 0, "the socket's middleware ran after a server-wide refusal");
  /* the next event comes through; the refused ones never did (one connection: in order) */
  peer_send(&cli, "{\"cmd\":\"emit\",\"name\":\"hello2\",\"args\":[]}");
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_MESSAGE, 0, "hello2"));
  CHECK(q_try_wait(&q, 0, SIO_EVENT_MESSAGE, 0, "forbidden") == NULL, "a refused event reached the host");
  CHECK(q_try_wait(&q, 0, SIO_EVENT_MESSAGE, 0, "srv-forbidden") == NULL, "a refused event reached the host");
  peer_pump(&cli, 0);
  CHECK(!peer_has(&cli, "\"ev\":\"ack\""), "the client's ack of a refused event was answered");

  /* ---- outgoing: prepended first, inside sio_socket_emit */
  OK(sio_socket_emit(sock, S("news"), S("[2,\"x\"]"), NULL, 0));
  int i_of = calllog_find(&lg, "outfirst:news:[2,\"x\"]:0::ud=A");
  int i_o = calllog_find(&lg, "out:news:[2,\"x\"]:0::ud=A");
  if (!(i_of >= 0 && i_of < i_o)) {
    calllog_dump(&lg);
    FAIL("outgoing catch-alls not called inside sio_socket_emit, prepended first: %d %d", i_of, i_o);
  }
  free(peer_wait(&cli, 5000, "\"name\":\"news\"", "[2,\"x\"]"));
  int i_pc = calllog_wait(&lg, 5000, "conn|packetCreate|message|2[\"news\",2,\"x\"]|");
  calllog_wait_from(&lg, 5000, i_pc, "conn|drain|||||||text=no");
  ackrec ack;
  ackrec_init(&ack);
  OK(sio_socket_emit_with_ack(sock, S("question"), S("[3]"), NULL, 0, 5000, ackrec_cb, &ack));
  ackrec_wait(&ack, 5000, "question");
  CHECK(ack.outcome == SIO_ACK_ANSWERED && STREQ(ack.args_json, "[\"re\",3]"), "question ack %d %s", (int)ack.outcome,
        ack.args_json);
  CHECK(calllog_find(&lg, "out:question:[3]:0") >= 0, "on_any_outgoing did not see emit_with_ack");

  /* ---- heartbeat seen by the watcher */
  calllog_wait(&lg, 5000, "conn|packetCreate|ping|");
  calllog_wait(&lg, 5000, "conn|packet|pong|");

  /* ---- user data: replaced (old freed inside the call), same pointer again (kept) */
  OK(sio_socket_set_user_data(sock, &ud_b, free_ud));
  CHECK(freed_a == 1 && freed_b == 0, "after replacing A by B: freed %d/%d", freed_a, freed_b);
  CHECK(sio_socket_user_data(sock) == &ud_b, "user data B");
  OK(sio_socket_set_user_data(sock, &ud_b, free_ud));
  CHECK(freed_a == 1 && freed_b == 0, "storing B again freed something: %d/%d", freed_a, freed_b);
  peer_send(&cli, "{\"cmd\":\"emit\",\"name\":\"hello3\",\"args\":[]}");
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_MESSAGE, 0, "hello3"));
  CHECK(calllog_find(&lg, "use:hello3:ud=B:mw1") >= 0, "the middleware's handle did not see B");

  /* ---- off_any / off_any_outgoing */
  OK(sio_socket_off_any(sock));
  OK(sio_socket_off_any_outgoing(sock));
  peer_send(&cli, "{\"cmd\":\"emit\",\"name\":\"after-off\",\"args\":[]}");
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_MESSAGE, 0, "after-off"));
  CHECK(calllog_find(&lg, "use:after-off") >= 0, "the middleware did not run");
  CHECK(calllog_find(&lg, "any:after-off") < 0 && calllog_find(&lg, "first:after-off") < 0,
        "a catch-all ran after sio_socket_off_any");
  OK(sio_socket_emit(sock, S("quiet"), NULL, 0, NULL, 0));
  free(peer_wait(&cli, 5000, "\"name\":\"quiet\""));
  CHECK(calllog_find(&lg, "out:quiet") < 0 && calllog_find(&lg, "outfirst:quiet") < 0,
        "an outgoing catch-all ran after sio_socket_off_any_outgoing");

  /* ---- the client leaves: DISCONNECT, the connection's close, then the socket is freed */
  peer_send(&cli, "{\"cmd\":\"disconnect\"}");
  ev = q_wait(&q, 5000, SIO_EVENT_DISCONNECT, 0, NULL);
  CHECK(ev->reason == SIO_REASON_CLIENT_NAMESPACE_DISCONNECT || ev->reason == SIO_REASON_TRANSPORT_CLOSE,
        "disconnect reason %s", sio_disconnect_reason_str(ev->reason));
  sio_event_free(ev);
  int i_close = calllog_wait(&lg, 5000, "conn|close|");
  CHECK(calllog_find(&lg, "conn|close||||||transport close|") == i_close, "close reason");
  CHECK(calllog_count(&lg, "conn|close|") == 1, "close reported %d times", calllog_count(&lg, "conn|close|"));
  CHECK(calllog_find_from(&lg, i_close + 1, "conn|") < 0, "connection activity after its close");
  EXPECT_STATUS(SIO_ERR_DISCONNECTED, sio_socket_watch_conn(sock, on_conn, NULL));
  CHECK(freed_b == 0, "B freed while a handle of the socket is alive");
  sio_socket_free(sock);
  q_drop(&q);
  {
    struct timespec dl = t_deadline(tms(5000));
    pthread_mutex_lock(&freed_mu);
    while (freed_b == 0)
      if (pthread_cond_timedwait(&freed_cv, &freed_mu, &dl) == ETIMEDOUT && freed_b == 0) break;
    pthread_mutex_unlock(&freed_mu);
  }
  CHECK(freed_a == 1 && freed_b == 1, "free_fn calls after the socket went: A %d, B %d", freed_a, freed_b);

  peer_close(&cli, 3000);
  sio_server_free(srv);
  sio_runtime_free(rt);
  CHECK(freed_a == 1 && freed_b == 1, "free_fn calls after shutdown: A %d, B %d", freed_a, freed_b);
  CHECK(ack.calls == 1, "ack completed %d times", ack.calls);
  ackrec_destroy(&ack);
  if (getenv("SIO_TEST_VERBOSE")) calllog_dump(&lg);
  calllog_destroy(&lg);
  t_pass();
  return 0;
}
