/* The C client's catch-alls and Engine.IO watcher against the official socket.io server
 * (peers/engine-server.cjs: pingInterval 300 ms, prints its io.engine connections, their
 * upgrade and close, and every event it gets), the client in queue mode:
 *
 * - sio_client_watch_engine (socket.io-client's `socket.io.engine`): after
 *   sio_client_disconnect the DISCONNECT packet (`packetCreate` "1") and the connection's
 *   `close` ("forced close"); after sio_client_connect a new connection's handshake
 *   (`packet` open) right before its `open` with the sid the server reports and `polling`, the CONNECT packet
 *   (`packetCreate` "0"), the server's answer (`packet` "0{"sid":..}"), `upgrade` to
 *   websocket (the server sees the same), a ping received and its pong, `drain`,
 *   binary packets both ways; NULL stops it; killing the server gives `close` with
 *   "transport close".
 * - sio_client_on_any / sio_client_prepend_any: the server's events with arguments and
 *   buffers, prepended first, the `client` argument being the handle, before the
 *   SIO_EVENT_CLIENT_MESSAGE; sio_client_off_any stops them.
 * - sio_client_on_any_outgoing / prepend: sio_client_emit (inside the call, binary too)
 *   and sio_client_emit_with_ack; sio_client_off_any_outgoing stops them.
 * - no listener runs after sio_client_free.
 * (sio_client_emit_volatile is covered by test_client_reference.) */
#include "common.h"
#include "calllog.h"

static calllog lg;
static sio_client *the_client;
static int freed;            /* set (under lg.mu) once the client is freed */
static int calls_after_free; /* listener calls that came after it */

typedef struct {
  const char *tag;
} any_tag;

static void after_free_check(void) {
  pthread_mutex_lock(&lg.mu);
  if (freed) calls_after_free++;
  pthread_mutex_unlock(&lg.mu);
}

static void any_cb(void *user_data, const sio_client *client, const char *name, size_t name_len, const char *args_json,
                   size_t args_json_len, const sio_buf *bufs, size_t n_bufs) {
  const any_tag *t = user_data;
  char hex[130] = "";
  after_free_check();
  if (n_bufs) t_hex(bufs[0].ptr, bufs[0].len < 64 ? bufs[0].len : 64, hex);
  calllog_add(&lg, "%s:%.*s:%.*s:%zu:%s:self=%s", t->tag, (int)name_len, name, (int)args_json_len, args_json, n_bufs,
              hex, client == the_client ? "yes" : "no");
}

static void engine_cb(void *user_data, const sio_engine_activity *a) {
  after_free_check();
  calllog_engine(&lg, (const char *)user_data, a);
}

static unsigned start_server(peer *p, const char *port) {
  peer_spawn(p, "server", "ffi/tests/c/peers/engine-server.cjs", port, NULL);
  char *line = peer_wait(p, 15000, "\"ev\":\"listening\"");
  unsigned got = (unsigned)atoi(strstr(line, "\"port\":") + strlen("\"port\":"));
  free(line);
  CHECK(got > 0, "no port");
  return got;
}

/* The sid of the next io.engine connection the server reports (with `transport`). */
static void next_engine(peer *srv, const char *transport, char *sid, size_t n) {
  char want[64];
  snprintf(want, sizeof want, "\"transport\":\"%s\"", transport);
  char *line = peer_wait(srv, 10000, "\"ev\":\"engine\"", want);
  json_str(line, "sid", sid, n);
  free(line);
}

int main(void) {
  t_begin("test_client_hooks", 90);
  calllog_init(&lg);
  peer srv;
  unsigned port = start_server(&srv, "0");
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);

  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  qwait q = {.rt = rt};
  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.reconnection_delay_ms = 100;
  o.reconnection_delay_max_ms = 200;
  o.randomization_factor = 0;
  sio_client *c = NULL;
  OK(sio_client_new(rt, SZ(url), &o, &c));
  the_client = c;
  uint64_t id = sio_client_id(c);
  sio_event_free(q_wait(&q, 15000, SIO_EVENT_CLIENT_CONNECT, id, NULL));
  char sid1[64];
  next_engine(&srv, "polling", sid1, sizeof sid1);
  free(peer_wait(&srv, 5000, "\"ev\":\"connection\"", sid1));

  /* ---- argument checks */
  static any_tag t_any = {"any"}, t_first = {"first"}, t_out = {"out"}, t_out_first = {"outfirst"};
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_on_any(NULL, any_cb, &t_any));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_on_any(c, NULL, &t_any));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_prepend_any_outgoing(c, NULL, &t_any));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_off_any(NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_off_any_outgoing(NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_watch_engine(NULL, engine_cb, "eng"));

  OK(sio_client_watch_engine(c, engine_cb, "eng"));
  OK(sio_client_on_any(c, any_cb, &t_any));
  OK(sio_client_prepend_any(c, any_cb, &t_first));
  OK(sio_client_on_any_outgoing(c, any_cb, &t_out));
  OK(sio_client_prepend_any_outgoing(c, any_cb, &t_out_first));

  /* ---- the only namespace leaves: the connection closes */
  OK(sio_client_disconnect(c));
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_DISCONNECT, id, NULL);
  CHECK(ev->reason == SIO_REASON_IO_CLIENT_DISCONNECT, "reason %s", sio_disconnect_reason_str(ev->reason));
  sio_event_free(ev);
  /* the namespace's DISCONNECT packet, then engine.io-client's reason for a close it chose */
  int i_close1 = calllog_wait(&lg, 5000, "eng|close||||||forced close|text=no");
  int i_leave = calllog_find(&lg, "eng|packetCreate|message|1|||||text=yes");
  CHECK(i_leave >= 0 && i_leave < i_close1, "DISCONNECT packet %d before the close %d", i_leave, i_close1);
  free(peer_wait(&srv, 5000, "\"ev\":\"conn-close\"", sid1));

  /* ---- connect again: a whole connection from its open */
  OK(sio_client_connect(c));
  sio_event_free(q_wait(&q, 15000, SIO_EVENT_CLIENT_CONNECT, id, NULL));
  char sid2[64], want[256];
  next_engine(&srv, "polling", sid2, sizeof sid2);
  CHECK(!STREQ(sid1, sid2), "the same sid twice");
  snprintf(want, sizeof want, "eng|open||||polling|%s||text=no", sid2);
  int i_open = calllog_wait(&lg, 5000, want);
  /* engine.io-client's order: the handshake's `packet` (type open), then `open` */
  snprintf(want, sizeof want, "eng|packet|open|{\"sid\":\"%s\"", sid2);
  int i_handshake = calllog_wait(&lg, 5000, want);
  int i_pkt = calllog_find_from(&lg, i_close1 + 1, "eng|packet"); /* packet and packetCreate */
  CHECK(i_open > i_close1 && i_pkt == i_handshake && i_handshake == i_open - 1,
        "close %d, open %d, handshake packet %d, first packet after the close %d", i_close1, i_open, i_handshake, i_pkt);
  int i_connect = calllog_wait_from(&lg, 5000, i_open, "eng|packetCreate|message|0||||");
  calllog_wait_from(&lg, 5000, i_connect, "eng|packet|message|0{\"sid\":\"");
  calllog_wait(&lg, 10000, "eng|upgrade||||websocket|||text=no");
  free(peer_wait(&srv, 10000, "\"ev\":\"upgrade\"", sid2, "\"transport\":\"websocket\""));
  int i_ping = calllog_wait_from(&lg, 5000, i_open, "eng|packet|ping||||||text=no");
  calllog_wait_from(&lg, 5000, i_ping, "eng|packetCreate|pong||||||text=no"); /* the answer */
  calllog_wait_from(&lg, 5000, i_open, "eng|drain|||||||text=no");

  /* ---- the server's event with a buffer: catch-alls (prepended first), then the event */
  peer_send(&srv, "{\"cmd\":\"emit\",\"name\":\"news\",\"args\":[1,{\"$bin\":\"0a0b\"}]}");
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, id, "news");
  CHECK(ev->n_bufs == 1 && ev->bufs[0].len == 2, "news buffers");
  sio_event_free(ev);
  const char *args = "[1,{\"_placeholder\":true,\"num\":0}]";
  snprintf(want, sizeof want, "first:news:%s:1:0a0b:self=yes", args);
  int i_first = calllog_find(&lg, want);
  snprintf(want, sizeof want, "any:news:%s:1:0a0b:self=yes", args);
  int i_any = calllog_find(&lg, want);
  if (!(i_first >= 0 && i_first < i_any)) {
    calllog_dump(&lg);
    FAIL("incoming catch-alls: prepended %d, added %d", i_first, i_any);
  }
  calllog_wait(&lg, 5000, "eng|packet|message|51-[\"news\",1,{\"_placeholder\":true,\"num\":0}]||||");
  calllog_wait(&lg, 5000, "eng|packet|message||0a0b||||text=no");

  /* ---- outgoing: inside sio_client_emit, prepended first; text and binary packets */
  OK(sio_client_emit(c, S("hi"), S("[7]"), NULL, 0));
  int i_of = calllog_find(&lg, "outfirst:hi:[7]:0::self=yes");
  int i_o = calllog_find(&lg, "out:hi:[7]:0::self=yes");
  if (!(i_of >= 0 && i_of < i_o)) {
    calllog_dump(&lg);
    FAIL("outgoing catch-alls not called inside sio_client_emit, prepended first: %d %d", i_of, i_o);
  }
  free(peer_wait(&srv, 5000, "\"name\":\"hi\"", "[7]"));
  calllog_wait(&lg, 5000, "eng|packetCreate|message|2[\"hi\",7]||||");
  static const uint8_t raw[] = {1, 2};
  sio_buf b = {raw, 2};
  OK(sio_client_emit(c, S("bin"), S("[{\"_placeholder\":true,\"num\":0}]"), &b, 1));
  CHECK(calllog_find(&lg, "out:bin:[{\"_placeholder\":true,\"num\":0}]:1:0102:self=yes") >= 0, "binary outgoing");
  free(peer_wait(&srv, 5000, "\"name\":\"bin\"", "{\"$bin\":\"0102\"}"));
  calllog_wait(&lg, 5000, "eng|packetCreate|message|51-[\"bin\",{\"_placeholder\":true,\"num\":0}]||||");
  calllog_wait(&lg, 5000, "eng|packetCreate|message||0102||||text=no");
  ackrec ack;
  ackrec_init(&ack);
  OK(sio_client_emit_with_ack(c, S("q"), S("[5]"), NULL, 0, 5000, ackrec_cb, &ack));
  ackrec_wait(&ack, 5000, "q");
  CHECK(ack.outcome == SIO_ACK_ANSWERED && STREQ(ack.args_json, "[\"re\",5]"), "q ack %d %s", (int)ack.outcome,
        ack.args_json);
  CHECK(calllog_find(&lg, "out:q:[5]:0::self=yes") >= 0, "on_any_outgoing did not see emit_with_ack");

  /* ---- off_any / off_any_outgoing */
  OK(sio_client_off_any(c));
  OK(sio_client_off_any_outgoing(c));
  peer_send(&srv, "{\"cmd\":\"emit\",\"name\":\"news2\",\"args\":[]}");
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, id, "news2"));
  CHECK(calllog_find(&lg, "any:news2") < 0 && calllog_find(&lg, "first:news2") < 0,
        "an incoming catch-all ran after sio_client_off_any");
  calllog_wait(&lg, 5000, "eng|packet|message|2[\"news2\"]");
  OK(sio_client_emit(c, S("hi2"), NULL, 0, NULL, 0));
  free(peer_wait(&srv, 5000, "\"name\":\"hi2\""));
  CHECK(calllog_find(&lg, "out:hi2") < 0 && calllog_find(&lg, "outfirst:hi2") < 0,
        "an outgoing catch-all ran after sio_client_off_any_outgoing");

  /* ---- the watcher stops with NULL */
  OK(sio_client_watch_engine(c, NULL, NULL));
  OK(sio_client_emit(c, S("hi3"), NULL, 0, NULL, 0));
  free(peer_wait(&srv, 5000, "\"name\":\"hi3\""));
  CHECK(calllog_find(&lg, "eng|packetCreate|message|2[\"hi3\"]") < 0, "the watcher ran after it was stopped");

  /* ---- watched again (another user_data): the server goes away */
  OK(sio_client_watch_engine(c, engine_cb, "eng2"));
  int before = calllog_count(&lg, "eng|");
  peer_kill(&srv);
  calllog_wait(&lg, 5000, "eng2|close||||||transport close|text=no");
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_DISCONNECT, id, NULL);
  CHECK(ev->reason == SIO_REASON_TRANSPORT_CLOSE, "reason %s", sio_disconnect_reason_str(ev->reason));
  sio_event_free(ev);
  CHECK(calllog_count(&lg, "eng|") == before, "the replaced watcher still ran");

  /* ---- freed: no listener runs any more (it keeps trying to reconnect until then) */
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_RECONNECT_ATTEMPT, id, NULL));
  sio_client_free(c);
  pthread_mutex_lock(&lg.mu);
  freed = 1;
  pthread_mutex_unlock(&lg.mu);
  q_drop(&q);
  sio_runtime_free(rt);
  CHECK(calls_after_free == 0, "%d listener calls after sio_client_free", calls_after_free);
  CHECK(ack.calls == 1, "ack completed %d times", ack.calls);
  ackrec_destroy(&ack);
  if (getenv("SIO_TEST_VERBOSE")) calllog_dump(&lg);
  calllog_destroy(&lg);
  t_pass();
  return 0;
}
