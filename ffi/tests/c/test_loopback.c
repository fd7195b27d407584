/* A C client and a C server in one process, one runtime in pull-queue mode: both sides'
 * events come out of sio_next_event (told apart by source_id), also from a second thread
 * concurrently. Messages and acks both ways with binary, the middleware refusing the
 * client with data, both disconnect reasons, reconnection with sio_client_connect, and a
 * client ack pending at runtime shutdown completing exactly once. */
#include "common.h"

static qwait q;

static void *racing_next_event(void *arg) {
  /* A second consumer: it only proves concurrent calls are safe (it sees a timeout). */
  sio_runtime *rt = arg;
  sio_event *ev = NULL;
  for (int i = 0; i < 20; i++) {
    sio_status st = sio_next_event(rt, 1, &ev);
    if (st == SIO_OK) return ev; /* handed back to main */
    if (st != SIO_ERR_TIMEOUT) return (void *)1;
  }
  return NULL;
}

int main(void) {
  t_begin("test_loopback", 90);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;
  sio_server *srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  OK(sio_server_namespace(srv, S("/locked"), true));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  uint64_t sid_server = sio_server_id(srv);
  char url[128], url_locked[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  snprintf(url_locked, sizeof url_locked, "http://127.0.0.1:%u/locked", port);

  /* the queue is empty: both consumers time out */
  pthread_t th;
  pthread_create(&th, NULL, racing_next_event, rt);
  sio_event *none = NULL;
  EXPECT_STATUS(SIO_ERR_TIMEOUT, sio_next_event(rt, 5, &none));
  void *res;
  pthread_join(th, &res);
  CHECK(res == NULL, "the concurrent consumer got %p", res);

  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.auth_json = "{\"name\":\"loop\"}";
  o.reconnection_delay_ms = 100;
  o.randomization_factor = 0;
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(url), &o, &cl));
  uint64_t cid = sio_client_id(cl);
  CHECK(cid != sid_server, "client and server share id %llu", (unsigned long long)cid);

  sio_event *ev = q_wait(&q, 15000, SIO_EVENT_CONNECTION, sid_server, NULL);
  sio_socket *s = NULL;
  OK(sio_socket_clone(ev->socket, &s));
  char *hs = NULL;
  OK(sio_socket_handshake_json(ev->socket, &hs, NULL));
  CHECK(strstr(hs, "\"auth\":{\"name\":\"loop\"}"), "handshake %s", hs);
  sio_string_free(hs);
  sio_event_free(ev);
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_CONNECT, cid, NULL);
  sio_event_free(ev);
  const char *csid = sio_client_socket_id(cl);
  CHECK(csid && STREQ(csid, sio_socket_id(s)), "client socket id %s, server %s", csid ? csid : "(null)", sio_socket_id(s));

  /* ---- client → server with ack, binary both ways */
  static const uint8_t up[] = {9, 8, 7, 6};
  sio_buf ub = {up, sizeof up};
  ackrec a1;
  ackrec_init(&a1);
  OK(sio_client_emit_with_ack(cl, S("hello"), S("[{\"_placeholder\":true,\"num\":0},\"x\"]"), &ub, 1, 5000, ackrec_cb, &a1));
  ev = q_wait(&q, 5000, SIO_EVENT_MESSAGE, sid_server, "hello");
  CHECK(ev->n_bufs == 1 && ev->bufs[0].len == 4 && memcmp(ev->bufs[0].ptr, up, 4) == 0, "server got %zu buffers", ev->n_bufs);
  CHECK(ev->ack != NULL, "no ack handle");
  static const uint8_t down[] = {0xaa};
  sio_buf db = {down, 1};
  OK(sio_ack_send(ev->ack, S("[\"ok\",{\"_placeholder\":true,\"num\":0}]"), &db, 1));
  sio_event_free(ev);
  ackrec_wait(&a1, 5000, "hello");
  CHECK(a1.outcome == SIO_ACK_ANSWERED && STREQ(a1.args_json, "[\"ok\",{\"_placeholder\":true,\"num\":0}]") &&
            a1.n_bufs == 1 && a1.buf0[0] == 0xaa,
        "hello ack: %d %s %zu", (int)a1.outcome, a1.args_json, a1.n_bufs);

  /* ---- server → client, and server emit_with_ack answered by the client */
  OK(sio_socket_emit(s, S("news"), S("[{\"n\":1}]"), NULL, 0));
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, cid, "news");
  CHECK(STREQ(ev->args_json, "[{\"n\":1}]") && ev->ack == NULL && ev->socket == NULL, "news %s", ev->args_json);
  sio_event_free(ev);
  ackrec a2;
  ackrec_init(&a2);
  OK(sio_socket_emit_with_ack(s, S("poll"), S("[1]"), NULL, 0, 5000, ackrec_cb, &a2));
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_MESSAGE, cid, "poll");
  CHECK(ev->ack != NULL, "client event without ack handle");
  OK(sio_ack_send(ev->ack, S("[2]"), NULL, 0));
  sio_event_free(ev);
  ackrec_wait(&a2, 5000, "poll");
  CHECK(a2.outcome == SIO_ACK_ANSWERED && STREQ(a2.args_json, "[2]"), "poll ack %d %s", (int)a2.outcome, a2.args_json);

  /* ---- middleware refusal seen by the C client */
  sio_client_options lo = o;
  lo.auth_json = NULL;
  sio_client *locked = NULL;
  OK(sio_client_new(rt, SZ(url_locked), &lo, &locked));
  ev = q_wait(&q, 15000, SIO_EVENT_MIDDLEWARE, sid_server, NULL);
  OK(sio_middleware_refuse(ev->decision, S("go away"), S("{\"code\":403,\"list\":[1,2]}")));
  sio_event_free(ev);
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_CONNECT_ERROR, sio_client_id(locked), NULL);
  CHECK(STREQ(ev->message, "go away") && ev->data_json && STREQ(ev->data_json, "{\"code\":403,\"list\":[1,2]}") && !ev->active,
        "connect_error `%s` %s active %d", ev->message, ev->data_json ? ev->data_json : "(null)", ev->active);
  CHECK(strlen(ev->data_json) == ev->data_json_len && strlen(ev->message) == ev->message_len, "lengths");
  sio_event_free(ev);
  sio_client_free(locked);

  /* ---- client disconnect: both sides' reasons */
  OK(sio_client_disconnect(cl));
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_DISCONNECT, cid, NULL);
  CHECK(ev->reason == SIO_REASON_IO_CLIENT_DISCONNECT && !ev->active, "client reason %d", (int)ev->reason);
  sio_event_free(ev);
  ev = q_wait(&q, 5000, SIO_EVENT_DISCONNECT, sid_server, NULL);
  CHECK(ev->reason == SIO_REASON_CLIENT_NAMESPACE_DISCONNECT, "server reason %d", (int)ev->reason);
  sio_event_free(ev);
  CHECK(!sio_socket_connected(s), "server socket still connected");
  sio_socket_free(s);

  /* ---- connect again; server-side disconnect: both sides' reasons */
  OK(sio_client_connect(cl));
  ev = q_wait(&q, 15000, SIO_EVENT_CONNECTION, sid_server, NULL);
  OK(sio_socket_clone(ev->socket, &s));
  sio_event_free(ev);
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_CLIENT_CONNECT, cid, NULL));
  OK(sio_socket_disconnect(s, false));
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_DISCONNECT, cid, NULL);
  CHECK(ev->reason == SIO_REASON_IO_SERVER_DISCONNECT && !ev->active, "client reason %d", (int)ev->reason);
  sio_event_free(ev);
  ev = q_wait(&q, 5000, SIO_EVENT_DISCONNECT, sid_server, NULL);
  CHECK(ev->reason == SIO_REASON_SERVER_NAMESPACE_DISCONNECT, "server reason %d", (int)ev->reason);
  sio_event_free(ev);
  sio_socket_free(s);

  /* ---- a client ack pending at runtime shutdown completes exactly once */
  OK(sio_client_connect(cl));
  sio_event_free(q_wait(&q, 15000, SIO_EVENT_CLIENT_CONNECT, cid, NULL));
  ackrec pend;
  ackrec_init(&pend);
  OK(sio_client_emit_with_ack(cl, S("unanswered"), NULL, 0, NULL, 0, 0, ackrec_cb, &pend));
  ev = q_wait(&q, 5000, SIO_EVENT_MESSAGE, sid_server, "unanswered");
  CHECK(ev->ack != NULL, "no ack handle");
  sio_event_free(ev); /* never answered */
  CHECK(ackrec_calls(&pend) == 0, "completed before shutdown");
  q_drop(&q);
  sio_server_free(srv);
  sio_runtime_free(rt);
  CHECK(pend.calls == 1, "pending ack completed %d times", pend.calls);
  CHECK(pend.outcome == SIO_ACK_CANCELLED || pend.outcome == SIO_ACK_DISCONNECTED, "outcome %d", (int)pend.outcome);
  CHECK(a1.calls == 1 && a2.calls == 1, "acks completed %d/%d times", a1.calls, a2.calls);
  /* handles outlive the runtime: freeing them afterwards is allowed */
  sio_client_free(cl);
  ackrec_destroy(&a1);
  ackrec_destroy(&a2);
  ackrec_destroy(&pend);
  t_pass();
  return 0;
}
