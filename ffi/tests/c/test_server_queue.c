/* A C server in queue mode (sio_next_event) against the official socket.io-client and a
 * raw `ws` peer: owned events (socket/ack/decision usable until sio_event_free), middleware
 * refused by freeing the event and accepted after sio_middleware_take, and the disconnect
 * reasons "transport close" (Node process killed; until its DISCONNECTING event is freed
 * the socket stays connected and in its rooms, and a broadcast from it reaches A), "ping timeout" (a peer that never
 * pongs, short ping options) and "server shutting down" (sio_server_close), with an ack
 * pending at close completing exactly once. */
#include "common.h"

static const char *const CLIENT = "ffi/tests/c/peers/client.cjs";
static const char *const SILENT = "ffi/tests/c/peers/silent-ws.cjs";

static qwait q;

/* Waits for the CONNECTION of socket id `sid` and returns a clone of its socket. */
static sio_socket *wait_connection(const char *sid) {
  for (;;) {
    sio_event *ev = q_wait(&q, 5000, SIO_EVENT_CONNECTION, 0, NULL);
    CHECK(ev->socket != NULL, "CONNECTION without socket");
    if (sid == NULL || STREQ(sio_socket_id(ev->socket), sid)) {
      sio_socket *s = NULL;
      OK(sio_socket_clone(ev->socket, &s));
      sio_event_free(ev);
      return s;
    }
    FAIL("CONNECTION of %s while waiting for %s", sio_socket_id(ev->socket), sid);
  }
}

static void spawn_connected(peer *p, const char *label, const char *url, const char *opts, char *sid, size_t n) {
  peer_spawn(p, label, CLIENT, url, opts, NULL);
  char *line = peer_wait(p, 15000, "\"ev\":\"connect\"");
  json_str(line, "id", sid, n);
  free(line);
}

/* Waits for the DISCONNECT of `s` (others stay queued) and checks its reason. */
static void expect_disconnect(const sio_socket *s, sio_disconnect_reason want, int ms) {
  sio_event *other[16];
  int n_other = 0;
  sio_event *ev;
  for (;;) {
    ev = q_wait(&q, ms, SIO_EVENT_DISCONNECT, 0, NULL);
    CHECK(ev->socket != NULL, "DISCONNECT without a socket");
    if (STREQ(sio_socket_id(ev->socket), sio_socket_id(s))) break;
    CHECK(n_other < 16, "too many other DISCONNECT events");
    other[n_other++] = ev;
  }
  for (int i = 0; i < n_other; i++) q.pending[q.n++] = other[i];
  CHECK(ev->reason == want, "socket %s: reason %d `%s`, expected `%s`", sio_socket_id(s), (int)ev->reason,
        sio_disconnect_reason_str(ev->reason), sio_disconnect_reason_str(want));
  CHECK(!sio_socket_connected(s), "still connected after DISCONNECT");
  sio_event_free(ev);
}

int main(void) {
  t_begin("test_server_queue", 120);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(0, NULL, NULL, NULL, &rt));
  q.rt = rt;
  sio_server_options o;
  OK(sio_server_options_default(&o));
  /* short, but scaled: under Valgrind the live clients' pongs are read late */
  o.ping_interval_ms = (uint32_t)tms(300);
  o.ping_timeout_ms = (uint32_t)tms(200);
  o.path = "/rt/";
  sio_server *srv = NULL;
  OK(sio_server_new(rt, &o, &srv));
  OK(sio_server_namespace(srv, S("/mw"), true));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  char url[128], url_mw[128], opts_path[128], sport[16];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  snprintf(url_mw, sizeof url_mw, "http://127.0.0.1:%u/mw", port);
  snprintf(sport, sizeof sport, "%u", port);
  snprintf(opts_path, sizeof opts_path, "{\"path\":\"/rt/\",\"transports\":[\"websocket\"]}");

  /* ---- A connects (custom path); a message with an ack answered from the owned event */
  peer a, m1, m2, k, s;
  char sa[64], sk[64];
  peer_spawn(&a, "A", CLIENT, url, opts_path, NULL);
  char *line = peer_wait(&a, 15000, "\"ev\":\"connect\"");
  json_str(line, "id", sa, sizeof sa);
  free(line);
  sio_socket *A = wait_connection(sa);
  peer_send(&a, "{\"cmd\":\"emit\",\"name\":\"hello\",\"args\":[{\"deep\":[1,{\"$bin\":\"ff00\"}]}],\"seq\":9}");
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_MESSAGE, sio_server_id(srv), "hello");
  CHECK(ev->ack != NULL && ev->n_bufs == 1 && ev->bufs[0].len == 2 && ev->bufs[0].ptr[0] == 0xff,
        "hello: ack %p, %zu buffers", (const void *)ev->ack, ev->n_bufs);
  CHECK(strlen(ev->args_json) == ev->args_json_len && strlen(ev->name) == ev->name_len && STREQ(ev->ns, "/"),
        "lengths do not match the strings");
  CHECK(STREQ(ev->args_json, "[{\"deep\":[1,{\"_placeholder\":true,\"num\":0}]}]"), "args %s", ev->args_json);
  /* answer with the received buffer: event memory is valid until sio_event_free */
  OK(sio_ack_send(ev->ack, ev->args_json, ev->args_json_len, ev->bufs, ev->n_bufs));
  sio_event_free(ev);
  free(peer_wait(&a, 5000, "\"ev\":\"ack\",\"seq\":9,\"args\":[{\"deep\":[1,{\"$bin\":\"ff00\"}]}]"));

  /* a pending ack kept with sio_ack_clone past its event */
  peer_send(&a, "{\"cmd\":\"emit\",\"name\":\"later\",\"args\":[],\"seq\":10}");
  ev = q_wait(&q, 5000, SIO_EVENT_MESSAGE, 0, "later");
  sio_ack *kept = NULL;
  OK(sio_ack_clone(ev->ack, &kept));
  sio_event_free(ev);
  OK(sio_ack_send(kept, NULL, 0, NULL, 0));
  EXPECT_STATUS(SIO_ERR_USED, sio_ack_send(kept, S("[1]"), NULL, 0));
  sio_ack_free(kept);
  free(peer_wait(&a, 5000, "\"ev\":\"ack\",\"seq\":10,\"args\":[]"));

  /* ---- middleware: freeing the event undecided refuses; a taken decision accepts later */
  peer_spawn(&m1, "M1", CLIENT, url_mw, opts_path, NULL);
  ev = q_wait(&q, 15000, SIO_EVENT_MIDDLEWARE, 0, NULL);
  CHECK(ev->decision != NULL && STREQ(ev->ns, "/mw"), "MIDDLEWARE event without decision / ns %s", ev->ns);
  sio_event_free(ev);
  free(peer_wait(&m1, 5000, "\"ev\":\"connect_error\"", "\"active\":false"));

  peer_spawn(&m2, "M2", CLIENT, url_mw, opts_path, NULL);
  ev = q_wait(&q, 15000, SIO_EVENT_MIDDLEWARE, 0, NULL);
  sio_middleware *later = NULL;
  OK(sio_middleware_take(ev->decision, &later));
  EXPECT_STATUS(SIO_ERR_USED, sio_middleware_accept(ev->decision));
  sio_event_free(ev);
  OK(sio_middleware_accept(later));
  sio_middleware_free(later);
  line = peer_wait(&m2, 5000, "\"ev\":\"connect\"");
  char sm2[64];
  json_str(line, "id", sm2, sizeof sm2);
  free(line);
  sio_socket *M2 = wait_connection(sm2);

  /* ---- transport close: the Node client process is killed */
  spawn_connected(&k, "K", url, opts_path, sk, sizeof sk);
  sio_socket *K = wait_connection(sk);
  OK(sio_socket_join(K, S("k-room")));
  OK(sio_socket_join(A, S("k-room")));
  peer_kill(&k);
  /* until the DISCONNECTING event is freed, K is still connected, in its rooms, and what
   * it emits goes out: to itself (its transport is gone: dropped, not an error) and to A */
  sio_event *dg = q_wait(&q, 5000, SIO_EVENT_DISCONNECTING, sio_server_id(srv), NULL);
  CHECK(STREQ(sio_socket_id(dg->socket), sk), "DISCONNECTING of %s", sio_socket_id(dg->socket));
  CHECK(dg->reason == SIO_REASON_TRANSPORT_CLOSE, "disconnecting reason %d", (int)dg->reason);
  CHECK(sio_socket_connected(dg->socket), "not connected while DISCONNECTING is held");
  char *k_rooms = NULL;
  OK(sio_socket_rooms_json(dg->socket, &k_rooms, NULL));
  CHECK(strstr(k_rooms, "\"k-room\"") != NULL, "rooms while leaving: %s", k_rooms);
  sio_string_free(k_rooms);
  OK(sio_socket_emit(dg->socket, S("bye"), S("[]"), NULL, 0));
  OK(sio_socket_broadcast(dg->socket, S("k-room"), NULL, 0, S("left"), S("[\"k\"]"), NULL, 0));
  free(peer_wait(&a, 5000, "\"name\":\"left\",\"args\":[\"k\"]"));
  sio_event_free(dg);
  expect_disconnect(K, SIO_REASON_TRANSPORT_CLOSE, 5000);
  OK(sio_socket_leave(A, S("k-room")));
  sio_socket_free(K);

  /* ---- ping timeout: a raw WebSocket peer that never answers pings (300 + 200 ms, scaled) */
  peer_spawn(&s, "silent", SILENT, sport, "/rt/", NULL);
  line = peer_wait(&s, 15000, "\"ev\":\"connect\"");
  char sp[64];
  json_str(line, "id", sp, sizeof sp);
  free(line);
  sio_socket *P = wait_connection(sp);
  long long t0 = t_now_ms();
  free(peer_wait(&s, 5000, "\"ev\":\"ping\""));
  expect_disconnect(P, SIO_REASON_PING_TIMEOUT, 5000);
  CHECK(t_now_ms() - t0 >= 150, "ping timeout after only %lld ms", t_now_ms() - t0);
  CHECK(STREQ(sio_disconnect_reason_str(SIO_REASON_PING_TIMEOUT), "ping timeout"), "reason string");
  free(peer_wait(&s, 5000, "\"ev\":\"close\""));
  sio_socket_free(P);
  peer_close(&s, 3000);
  /* meanwhile the Node clients answered every ping and are still connected */
  CHECK(sio_socket_connected(A) && sio_socket_connected(M2), "a live client was dropped by the ping check");

  /* ---- server shutting down, with an ack pending on A */
  ackrec pend;
  ackrec_init(&pend);
  peer_send(&a, "{\"cmd\":\"policy\",\"name\":\"never\",\"reply\":null}");
  free(peer_wait(&a, 5000, "\"ev\":\"policy\",\"name\":\"never\""));
  OK(sio_socket_emit_with_ack(A, S("never"), NULL, 0, NULL, 0, 0, ackrec_cb, &pend));
  free(peer_wait(&a, 5000, "\"name\":\"never\""));
  OK(sio_server_close(srv));
  expect_disconnect(A, SIO_REASON_SERVER_SHUTTING_DOWN, 5000);
  expect_disconnect(M2, SIO_REASON_SERVER_SHUTTING_DOWN, 5000);
  sio_socket_free(M2);
  sio_socket_free(A);
  ackrec_wait(&pend, 5000, "pending at sio_server_close");
  CHECK(pend.outcome == SIO_ACK_DISCONNECTED || pend.outcome == SIO_ACK_CANCELLED, "outcome %d", (int)pend.outcome);
  free(peer_wait(&a, 5000, "\"ev\":\"disconnect\""));
  sio_server_free(srv);
  peer_close(&a, 3000);
  peer_close(&m1, 3000);
  peer_close(&m2, 3000);
  q_drop(&q);
  sio_runtime_free(rt);
  CHECK(pend.calls == 1, "the pending ack completed %d times", pend.calls);
  ackrec_destroy(&pend);
  t_pass();
  return 0;
}
