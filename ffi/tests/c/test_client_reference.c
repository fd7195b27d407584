/* The C client (callback mode) against the official Node server
 * (tests/interop/reference-server.js, contract in tests/interop/CONTRACT.md): `welcome`,
 * `echo` with an ack and binary, the server's ack request answered with sio_ack_send
 * (`ask`), an ack timeout, /admin refused with data {reason:"bad token"} and active ==
 * false, /admin accepted with the secret, `disconnect-me` → "io server disconnect" (no
 * reconnection), sio_client_emit_volatile dropped while disconnected (a plain emit is
 * buffered) then sio_client_connect, sio_client_emit_volatile sent, sio_client_disconnect → "io client disconnect",
 * and killing the server → "transport close" + RECONNECT_ATTEMPT, then RECONNECT once the
 * server is back on the same port. */
#include "common.h"

static recorder rec;
static const char *const SERVER = "tests/interop/reference-server.js";

static unsigned start_server(peer *p, const char *port) {
  peer_spawn(p, "server", SERVER, "--port", port, NULL);
  char *line = peer_wait(p, 15000, "listening on ");
  unsigned got = (unsigned)atoi(strstr(line, "listening on ") + strlen("listening on "));
  free(line);
  CHECK(got > 0, "no port");
  return got;
}

static sio_client *new_client(sio_runtime *rt, const char *url, const sio_client_options *o) {
  sio_client *c = NULL;
  OK(sio_client_new(rt, SZ(url), o, &c));
  CHECK(c != NULL && sio_client_id(c) != 0, "no client id");
  return c;
}

int main(void) {
  t_begin("test_client_reference", 120);
  recorder_init(&rec);
  peer srv;
  unsigned port = start_server(&srv, "0");
  char url[128], url_admin[128], sport[16];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  snprintf(url_admin, sizeof url_admin, "http://127.0.0.1:%u/admin", port);
  snprintf(sport, sizeof sport, "%u", port);

  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, recorder_cb, &rec, NULL, &rt));
  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.reconnection_delay_ms = 100;
  o.reconnection_delay_max_ms = 200;
  o.randomization_factor = 0;

  /* ---- C1: default transports (polling first, then upgrade) */
  sio_client *c1 = new_client(rt, url, &o);
  uint64_t id1 = sio_client_id(c1);
  tev *e = recorder_wait_ex(&rec, 15000, SIO_EVENT_CLIENT_CONNECT, id1, NULL, NULL);
  CHECK(e->active && e->socket == NULL, "CLIENT_CONNECT: active %d, socket %p", e->active, (void *)e->socket);
  tev_free(e);
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id1, "welcome", NULL);
  CHECK(sio_client_connected(c1) && sio_client_active(c1) && !sio_client_recovered(c1), "client state after connect");
  const char *sid = sio_client_socket_id(c1);
  CHECK(sid != NULL && strlen(sid) == 20, "socket id %s", sid ? sid : "(null)");
  char want[128];
  snprintf(want, sizeof want, "\"id\":\"%s\"", sid);
  CHECK(strstr(e->args_json, want) && strstr(e->args_json, "\"ns\":\"/\"") && strstr(e->args_json, "\"auth\":{}"),
        "welcome %s", e->args_json);
  CHECK(e->ack == NULL, "welcome asks for an ack");
  tev_free(e);

  /* ---- echo with ack and a binary buffer */
  static const uint8_t raw[] = {1, 2, 3};
  sio_buf b = {raw, 3};
  ackrec echo, ask, slow;
  ackrec_init(&echo);
  ackrec_init(&ask);
  ackrec_init(&slow);
  OK(sio_client_emit_with_ack(c1, S("echo"), S("[1,\"two\",{\"_placeholder\":true,\"num\":0}]"), &b, 1, 5000, ackrec_cb, &echo));
  ackrec_wait(&echo, 5000, "echo");
  CHECK(echo.outcome == SIO_ACK_ANSWERED, "echo outcome %d", (int)echo.outcome);
  CHECK(STREQ(echo.args_json, "[1,\"two\",{\"_placeholder\":true,\"num\":0}]"), "echo ack args %s", echo.args_json);
  CHECK(echo.n_bufs == 1 && echo.buf0_len == 3 && memcmp(echo.buf0, raw, 3) == 0, "echo ack buffer");
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id1, "echo", NULL);
  CHECK(e->n_bufs == 1 && e->buf_lens[0] == 3 && memcmp(e->bufs[0], raw, 3) == 0, "echo event buffer");
  tev_free(e);

  /* ---- the server asks (emit_with_ack to the client); the C client answers */
  OK(sio_client_emit_with_ack(c1, S("ask"), S("[\"q\",7]"), NULL, 0, 5000, ackrec_cb, &ask));
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id1, "q", NULL);
  CHECK(e->ack != NULL && STREQ(e->args_json, "[7]"), "q: ack %p args %s", (void *)e->ack, e->args_json);
  OK(sio_ack_send(e->ack, S("[\"pong\"]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_USED, sio_ack_send(e->ack, S("[\"again\"]"), NULL, 0));
  tev_free(e);
  ackrec_wait(&ask, 5000, "ask");
  CHECK(ask.outcome == SIO_ACK_ANSWERED && STREQ(ask.args_json, "[null,[\"pong\"]]"), "ask: %d %s", (int)ask.outcome,
        ask.args_json);

  /* ---- no answer: timed out */
  OK(sio_client_emit_with_ack(c1, S("nobody-answers"), S("[]"), NULL, 0, 300, ackrec_cb, &slow));
  ackrec_wait(&slow, 5000, "nobody-answers");
  CHECK(slow.outcome == SIO_ACK_TIMED_OUT, "outcome %d", (int)slow.outcome);
  EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_client_emit(c1, S("disconnect"), NULL, 0, NULL, 0));

  /* ---- /admin: refused with data, not retried */
  sio_client_options bad = o;
  bad.auth_json = "{\"token\":\"nope\"}";
  sio_client *c2 = new_client(rt, url_admin, &bad);
  e = recorder_wait_ex(&rec, 15000, SIO_EVENT_CLIENT_CONNECT_ERROR, sio_client_id(c2), NULL, NULL);
  CHECK(STREQ(e->message, "unauthorized"), "connect_error message `%s`", e->message);
  CHECK(e->data_json && STREQ(e->data_json, "{\"reason\":\"bad token\"}"), "connect_error data %s",
        e->data_json ? e->data_json : "(null)");
  CHECK(!e->active, "active after a middleware refusal");
  CHECK(!sio_client_active(c2) && !sio_client_connected(c2), "client c2 active/connected after refusal");
  tev_free(e);
  /* a new token, then connect again (socket.auth = ..; socket.connect()) */
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_set_auth(c2, S("{not json")));
  OK(sio_client_set_auth(c2, S("{\"token\":\"secret\"}")));
  OK(sio_client_connect(c2));
  tev_free(recorder_wait_ex(&rec, 15000, SIO_EVENT_CLIENT_CONNECT, sio_client_id(c2), NULL, NULL));
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, sio_client_id(c2), "welcome", NULL);
  CHECK(strstr(e->args_json, "\"token\":\"secret\""), "welcome after set_auth %s", e->args_json);
  tev_free(e);
  OK(sio_client_disconnect(c2));
  tev_free(recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_DISCONNECT, sio_client_id(c2), NULL, NULL));

  sio_client_options good = o;
  good.auth_json = "{\"token\":\"secret\"}";
  good.transports = SIO_TRANSPORT_WEBSOCKET;
  sio_client *c3 = new_client(rt, url_admin, &good);
  uint64_t id3 = sio_client_id(c3);
  tev_free(recorder_wait_ex(&rec, 15000, SIO_EVENT_CLIENT_CONNECT, id3, NULL, NULL));
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id3, "welcome", NULL);
  CHECK(strstr(e->args_json, "\"ns\":\"/admin\"") && strstr(e->args_json, "\"token\":\"secret\"") &&
            strstr(e->args_json, "\"transport\":\"websocket\""),
        "admin welcome %s", e->args_json);
  tev_free(e);

  /* ---- disconnect-me: io server disconnect, no reconnection; then connect again */
  OK(sio_client_emit(c1, S("disconnect-me"), NULL, 0, NULL, 0));
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_DISCONNECT, id1, NULL, NULL);
  CHECK(e->reason == SIO_REASON_IO_SERVER_DISCONNECT, "reason %d (%s)", (int)e->reason, sio_disconnect_reason_str(e->reason));
  CHECK(STREQ(sio_disconnect_reason_str(e->reason), "io server disconnect"), "reason string");
  CHECK(!e->active && !sio_client_active(c1) && !sio_client_connected(c1), "active after io server disconnect");
  tev_free(e);
  /* while disconnected: a volatile emit is dropped, a plain one buffered until connected */
  OK(sio_client_emit_volatile(c1, S("echo"), S("[\"lost\"]"), NULL, 0));
  OK(sio_client_emit(c1, S("echo"), S("[\"kept\"]"), NULL, 0));
  OK(sio_client_connect(c1));
  tev_free(recorder_wait_ex(&rec, 15000, SIO_EVENT_CLIENT_CONNECT, id1, NULL, NULL));
  tev_free(recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id1, "welcome", NULL));
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id1, "echo", NULL);
  CHECK(STREQ(e->args_json, "[\"kept\"]"), "first echo after connecting: %s (the volatile emit was kept)", e->args_json);
  tev_free(e);
  OK(sio_client_emit_volatile(c1, S("echo"), S("[\"live\"]"), NULL, 0)); /* connected: sent */
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id1, "echo", NULL);
  CHECK(STREQ(e->args_json, "[\"live\"]"), "volatile echo while connected: %s", e->args_json);
  tev_free(e);

  /* ---- io client disconnect */
  OK(sio_client_disconnect(c1));
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_DISCONNECT, id1, NULL, NULL);
  CHECK(e->reason == SIO_REASON_IO_CLIENT_DISCONNECT && !e->active, "reason %d active %d", (int)e->reason, e->active);
  CHECK(e->data_json == NULL && STREQ(e->message, ""), "details for io client disconnect: %s", e->data_json);
  tev_free(e);

  /* ---- kill the server: transport close, then reconnection attempts; back on the same port.
   * The Manager's own events from here on (socket.io-client's manager.on("close" | "open")) */
  OK(sio_client_watch_manager(c3, true));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_watch_manager(NULL, true));
  peer_kill(&srv);
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_MANAGER_CLOSE, id3, NULL, NULL);
  CHECK(e->reason == SIO_REASON_TRANSPORT_CLOSE, "manager close reason %d", (int)e->reason);
  tev_free(e);
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_DISCONNECT, id3, NULL, NULL);
  CHECK(e->reason == SIO_REASON_TRANSPORT_CLOSE, "reason %d (%s), expected transport close", (int)e->reason,
        sio_disconnect_reason_str(e->reason));
  CHECK(e->active, "not active after transport close");
  /* socket.io-client's details: { description, context } */
  CHECK(STREQ(e->message, "websocket connection closed"), "details description `%s`", e->message);
  CHECK(e->data_json && strstr(e->data_json, "\"description\":\"websocket connection closed\"") &&
            strstr(e->data_json, "\"context\":"),
        "details %s", e->data_json ? e->data_json : "(null)");
  tev_free(e);
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_RECONNECT_ATTEMPT, id3, NULL, NULL);
  CHECK(e->attempt == 1, "first attempt numbered %u", e->attempt);
  tev_free(e);
  tev_free(recorder_wait_ex(&rec, 5000, SIO_EVENT_RECONNECT_ERROR, id3, NULL, NULL));
  start_server(&srv, sport);
  tev_free(recorder_wait_ex(&rec, 15000, SIO_EVENT_MANAGER_OPEN, id3, NULL, NULL));
  e = recorder_wait_ex(&rec, 15000, SIO_EVENT_RECONNECT, id3, NULL, NULL);
  CHECK(e->attempt >= 1, "reconnected after %u attempts", e->attempt);
  tev_free(e);
  tev_free(recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id3, "welcome", NULL));
  CHECK(sio_client_connected(c3), "c3 not connected after RECONNECT");
  CHECK(!recorder_has(&rec, SIO_EVENT_CLIENT_CONNECT, id1, NULL, NULL), "c1 reconnected after io client disconnect");

  sio_client_free(c1);
  sio_client_free(c2);
  sio_client_free(c3);
  sio_runtime_free(rt);
  CHECK(echo.calls == 1 && ask.calls == 1 && slow.calls == 1, "acks completed %d/%d/%d times", echo.calls, ask.calls,
        slow.calls);
  CHECK(rec.clone_failures == 0, "clone failures");
  ackrec_destroy(&echo);
  ackrec_destroy(&ask);
  ackrec_destroy(&slow);
  peer_kill(&srv);
  recorder_destroy(&rec);
  t_pass();
  return 0;
}
