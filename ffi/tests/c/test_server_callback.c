/* A C server in callback mode against the official socket.io-client (Node peers):
 * connection, handshake/rooms/data, join/leave, binary both ways, client acks answered
 * with sio_ack_send, emit_with_ack (answered, timed out, cancelled by runtime shutdown),
 * room broadcast with except, socket broadcast, middleware refusal with data and
 * acceptance, sio_socket_disconnect ("io server disconnect"), "client namespace
 * disconnect", and the user_data finalizer. */
#include "common.h"

static recorder rec;
static char url_root[128], url_guarded[128];

static const char *const CLIENT = "ffi/tests/c/peers/client.cjs";

/* Spawns a Node client and returns its socket id (and the server CONNECTION event). */
static tev *connect_peer(peer *p, const char *label, const char *url, const char *opts, char *sid, size_t n) {
  peer_spawn(p, label, CLIENT, url, opts, NULL);
  char *line = peer_wait(p, 15000, "\"ev\":\"connect\"");
  json_str(line, "id", sid, n);
  free(line);
  tev *c = recorder_wait(&rec, 5000, SIO_EVENT_CONNECTION, NULL, sid);
  CHECK(c->socket != NULL, "CONNECTION without a socket");
  CHECK(STREQ(sio_socket_id(c->socket), sid), "socket id %s != client id %s", sio_socket_id(c->socket), sid);
  return c;
}

static char *take_json(sio_status (*fn)(const sio_socket *, char **, size_t *), const sio_socket *s) {
  char *out = NULL;
  size_t len = 0;
  OK(fn(s, &out, &len));
  CHECK(out != NULL && strlen(out) == len, "length %zu does not match the string", len);
  return out;
}

int main(void) {
  t_begin("test_server_callback", 120);
  recorder_init(&rec);

  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, recorder_cb, &rec, recorder_finalize, &rt));
  sio_server *srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  OK(sio_server_namespace(srv, S("/guarded"), true));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  CHECK(port != 0, "no port bound");
  snprintf(url_root, sizeof url_root, "http://127.0.0.1:%u/", port);
  snprintf(url_guarded, sizeof url_guarded, "http://127.0.0.1:%u/guarded", port);

  /* ---- A: default transports (polling, then upgrade) with query and auth */
  peer a, b, c, d, e;
  char sa[64], sb[64], sc[64], se[64];
  tev *ca = connect_peer(&a, "A", url_root, "{\"query\":{\"token\":\"abc\"},\"auth\":{\"user\":\"ann\"}}", sa, sizeof sa);
  CHECK(STREQ(ca->ns, "/"), "namespace `%s`", ca->ns);
  CHECK(ca->source_id == sio_server_id(srv), "source_id %llu != server id", (unsigned long long)ca->source_id);
  CHECK(strlen(sa) == 20, "socket id `%s` is not 20 characters", sa);
  CHECK(sio_socket_connected(ca->socket), "socket not connected");
  CHECK(!sio_socket_recovered(ca->socket), "socket recovered without recovery");
  const sio_socket *A = ca->socket;
  tev *up = recorder_wait(&rec, 10000, SIO_EVENT_UPGRADE, NULL, NULL);
  CHECK(STREQ(up->message, "websocket"), "upgraded to `%s`", up->message);
  CHECK(up->name[0] != '\0' && up->socket == NULL, "UPGRADE without a connection id (or with a socket)");
  tev_free(up);

  char *hs = take_json(sio_socket_handshake_json, A);
  CHECK(strstr(hs, "\"token\":\"abc\"") && strstr(hs, "\"user\":\"ann\"") && strstr(hs, "\"address\"") &&
            strstr(hs, "\"headers\"") && strstr(hs, "/socket.io/"),
        "handshake JSON lacks query/auth/address/headers/url: %s", hs);
  sio_string_free(hs);

  char *rooms = take_json(sio_socket_rooms_json, A);
  char want[128];
  snprintf(want, sizeof want, "[\"%s\"]", sa);
  CHECK(STREQ(rooms, want), "rooms %s, expected %s", rooms, want);
  sio_string_free(rooms);
  OK(sio_socket_join(A, S("r")));
  OK(sio_socket_join(A, S("zz")));
  rooms = take_json(sio_socket_rooms_json, A);
  CHECK(strstr(rooms, "\"r\"") && strstr(rooms, "\"zz\"") && strstr(rooms, sa), "rooms after join: %s", rooms);
  sio_string_free(rooms);
  OK(sio_socket_leave(A, S("zz")));
  rooms = take_json(sio_socket_rooms_json, A);
  CHECK(!strstr(rooms, "\"zz\"") && strstr(rooms, "\"r\""), "rooms after leave: %s", rooms);
  sio_string_free(rooms);

  OK(sio_socket_set_data_json(A, S("{\"n\":1,\"s\":\"x\"}")));
  char *data = take_json(sio_socket_data_json, A);
  CHECK(STREQ(data, "{\"n\":1,\"s\":\"x\"}"), "data %s", data);
  sio_string_free(data);
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_socket_set_data_json(A, S("{oops")));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_handshake_json(A, NULL, NULL));

  /* ---- binary server → client */
  static const uint8_t b0[] = {0x01, 0x02, 0xff};
  static const uint8_t b1[] = {0x00};
  sio_buf bufs[2] = {{b0, sizeof b0}, {b1, sizeof b1}};
  OK(sio_socket_emit(A, S("bin"), S("[\"x\",{\"_placeholder\":true,\"num\":0},{\"k\":{\"_placeholder\":true,\"num\":1}}]"), bufs, 2));
  free(peer_wait(&a, 5000, "\"name\":\"bin\"", "\"args\":[\"x\",{\"$bin\":\"0102ff\"},{\"k\":{\"$bin\":\"00\"}}]"));
  EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_socket_emit(A, S("disconnect"), NULL, 0, NULL, 0));

  /* ---- binary client → server */
  peer_send(&a, "{\"cmd\":\"emit\",\"name\":\"up\",\"args\":[{\"$bin\":\"cafe\"},\"t\"]}");
  tev *m = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "up", sa);
  CHECK(m->n_bufs == 1 && m->buf_lens[0] == 2 && m->bufs[0][0] == 0xca && m->bufs[0][1] == 0xfe,
        "binary from the client: %zu buffers", m->n_bufs);
  CHECK(STREQ(m->args_json, "[{\"_placeholder\":true,\"num\":0},\"t\"]"), "args %s", m->args_json);
  CHECK(m->ack == NULL, "an ack on a plain emit");
  tev_free(m);

  /* ---- the client's ack answered through sio_ack_send */
  peer_send(&a, "{\"cmd\":\"emit\",\"name\":\"q\",\"args\":[5],\"seq\":1}");
  m = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "q", sa);
  CHECK(m->ack != NULL, "no ack handle although the client asked for one");
  CHECK(STREQ(m->args_json, "[5]"), "args %s", m->args_json);
  static const uint8_t beef[] = {0xbe, 0xef};
  sio_buf bb = {beef, 2};
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_ack_send(m->ack, S("[1,"), NULL, 0));
  OK(sio_ack_send(m->ack, S("[42,{\"_placeholder\":true,\"num\":0}]"), &bb, 1));
  EXPECT_STATUS(SIO_ERR_USED, sio_ack_send(m->ack, S("[43]"), NULL, 0));
  tev_free(m);
  free(peer_wait(&a, 5000, "\"ev\":\"ack\",\"seq\":1,\"args\":[42,{\"$bin\":\"beef\"}]"));

  /* ---- emit_with_ack answered (JSON, then binary) */
  ackrec k1, k2, k3, kc;
  ackrec_init(&k1);
  ackrec_init(&k2);
  ackrec_init(&k3);
  ackrec_init(&kc);
  OK(sio_socket_emit_with_ack(A, S("ask"), S("[7]"), NULL, 0, 5000, ackrec_cb, &k1));
  ackrec_wait(&k1, 5000, "ask");
  CHECK(k1.outcome == SIO_ACK_ANSWERED, "outcome %d", (int)k1.outcome);
  CHECK(STREQ(k1.args_json, "[\"re\",7]"), "ack args %s", k1.args_json);
  peer_send(&a, "{\"cmd\":\"policy\",\"name\":\"askb\",\"reply\":[{\"$bin\":\"0a0b\"}]}");
  free(peer_wait(&a, 5000, "\"ev\":\"policy\",\"name\":\"askb\""));
  peer_send(&a, "{\"cmd\":\"policy\",\"name\":\"slow\",\"reply\":null}");
  free(peer_wait(&a, 5000, "\"ev\":\"policy\",\"name\":\"slow\""));
  peer_send(&a, "{\"cmd\":\"policy\",\"name\":\"never\",\"reply\":null}");
  free(peer_wait(&a, 5000, "\"ev\":\"policy\",\"name\":\"never\""));
  OK(sio_socket_emit_with_ack(A, S("askb"), NULL, 0, NULL, 0, 5000, ackrec_cb, &k2));
  ackrec_wait(&k2, 5000, "askb");
  CHECK(k2.outcome == SIO_ACK_ANSWERED && k2.n_bufs == 1 && k2.buf0_len == 2 && k2.buf0[0] == 0x0a && k2.buf0[1] == 0x0b,
        "binary ack: outcome %d, %zu buffers, %s", (int)k2.outcome, k2.n_bufs, k2.args_json);

  /* ---- emit_with_ack timed out */
  long long t0 = t_now_ms();
  OK(sio_socket_emit_with_ack(A, S("slow"), S("[]"), NULL, 0, 300, ackrec_cb, &k3));
  ackrec_wait(&k3, 5000, "slow");
  CHECK(k3.outcome == SIO_ACK_TIMED_OUT, "outcome %d, expected TIMED_OUT", (int)k3.outcome);
  CHECK(t_now_ms() - t0 >= 290, "timed out after %lld ms, before the 300 ms timeout", t_now_ms() - t0);
  CHECK(STREQ(k3.args_json, "[]"), "args of a timeout: %s", k3.args_json);
  free(peer_wait(&a, 5000, "\"name\":\"slow\"", "\"acked\":true"));

  /* ---- B and C: WebSocket only; broadcast to room r except room x */
  tev *cb_ = connect_peer(&b, "B", url_root, "{\"transports\":[\"websocket\"]}", sb, sizeof sb);
  tev *cc = connect_peer(&c, "C", url_root, "{\"transports\":[\"websocket\"]}", sc, sizeof sc);
  OK(sio_socket_join(cb_->socket, S("r")));
  OK(sio_socket_join(cb_->socket, S("x")));
  OK(sio_server_emit(srv, NULL, 0, S("r"), S("x"), S("bc"), S("[\"hi\"]"), NULL, 0));
  OK(sio_server_emit(srv, S("/"), NULL, 0, NULL, 0, S("marker"), S("[1]"), NULL, 0));
  free(peer_wait(&a, 5000, "\"name\":\"bc\",\"args\":[\"hi\"]"));
  free(peer_wait(&a, 5000, "\"name\":\"marker\""));
  free(peer_wait(&b, 5000, "\"name\":\"marker\""));
  free(peer_wait(&c, 5000, "\"name\":\"marker\""));
  CHECK(!peer_has(&b, "\"name\":\"bc\""), "B is in room x but got the broadcast");
  CHECK(!peer_has(&c, "\"name\":\"bc\""), "C is not in room r but got the broadcast");

  /* socket broadcast from C: everyone but C, except room x (B) → only A */
  OK(sio_socket_broadcast(cc->socket, NULL, 0, S("x"), S("sb"), S("[{\"_placeholder\":true,\"num\":0}]"), bufs, 1));
  OK(sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("marker"), S("[2]"), NULL, 0));
  free(peer_wait(&a, 5000, "\"name\":\"sb\",\"args\":[{\"$bin\":\"0102ff\"}]"));
  free(peer_wait(&b, 5000, "\"name\":\"marker\",\"args\":[2]"));
  free(peer_wait(&c, 5000, "\"name\":\"marker\",\"args\":[2]"));
  CHECK(!peer_has(&b, "\"name\":\"sb\""), "B (in room x) got the socket broadcast");
  CHECK(!peer_has(&c, "\"name\":\"sb\""), "the sender C got its own broadcast");
  /* broadcast to a room: only r members but the sender (B sends, A receives) */
  OK(sio_socket_broadcast(cb_->socket, S("r"), NULL, 0, S("room"), S("[3]"), NULL, 0));
  free(peer_wait(&a, 5000, "\"name\":\"room\",\"args\":[3]"));

  /* ---- middleware: refusal with data, then acceptance */
  peer_spawn(&d, "D", CLIENT, url_guarded, "{\"auth\":{\"token\":\"bad\"},\"transports\":[\"websocket\"]}", NULL);
  tev *mw = recorder_wait(&rec, 15000, SIO_EVENT_MIDDLEWARE, NULL, NULL);
  CHECK(STREQ(mw->ns, "/guarded"), "middleware for namespace %s", mw->ns);
  CHECK(mw->decision != NULL, "no decision handle in a MIDDLEWARE event");
  CHECK(mw->socket != NULL, "no socket in a MIDDLEWARE event");
  hs = take_json(sio_socket_handshake_json, mw->socket);
  CHECK(strstr(hs, "\"token\":\"bad\""), "middleware handshake lacks auth: %s", hs);
  sio_string_free(hs);
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_middleware_refuse(mw->decision, S("unauthorized"), S("{bad")));
  OK(sio_middleware_refuse(mw->decision, S("unauthorized"), S("{\"reason\":\"bad token\"}")));
  EXPECT_STATUS(SIO_ERR_USED, sio_middleware_refuse(mw->decision, S("again"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_USED, sio_middleware_accept(mw->decision));
  tev_free(mw);
  free(peer_wait(&d, 5000, "\"ev\":\"connect_error\",\"message\":\"unauthorized\",\"data\":{\"reason\":\"bad token\"},\"active\":false"));
  CHECK(!recorder_has(&rec, SIO_EVENT_CONNECTION, 0, NULL, NULL), "a refused socket produced CONNECTION");

  peer_spawn(&e, "E", CLIENT, url_guarded, "{\"auth\":{\"token\":\"good\"},\"transports\":[\"websocket\"]}", NULL);
  mw = recorder_wait(&rec, 15000, SIO_EVENT_MIDDLEWARE, NULL, NULL);
  OK(sio_middleware_accept(mw->decision));
  EXPECT_STATUS(SIO_ERR_USED, sio_middleware_accept(mw->decision));
  tev_free(mw);
  char *line = peer_wait(&e, 5000, "\"ev\":\"connect\"");
  json_str(line, "id", se, sizeof se);
  free(line);
  tev *ce = recorder_wait(&rec, 5000, SIO_EVENT_CONNECTION, NULL, se);
  CHECK(STREQ(ce->ns, "/guarded"), "namespace %s", ce->ns);
  /* a namespace emit reaches /guarded only */
  OK(sio_server_emit(srv, S("/guarded"), NULL, 0, NULL, 0, S("g"), S("[]"), NULL, 0));
  free(peer_wait(&e, 5000, "\"name\":\"g\""));

  /* ---- server-side disconnect of B: "io server disconnect" on the client */
  OK(sio_socket_disconnect(cb_->socket, false));
  free(peer_wait(&b, 5000, "\"ev\":\"disconnect\",\"reason\":\"io server disconnect\""));
  tev *dg = recorder_wait(&rec, 5000, SIO_EVENT_DISCONNECTING, NULL, sb);
  CHECK(dg->reason == SIO_REASON_SERVER_NAMESPACE_DISCONNECT, "disconnecting reason %d", (int)dg->reason);
  tev_free(dg);
  tev *dc = recorder_wait(&rec, 5000, SIO_EVENT_DISCONNECT, NULL, sb);
  CHECK(dc->reason == SIO_REASON_SERVER_NAMESPACE_DISCONNECT, "disconnect reason %d (%s)", (int)dc->reason,
        sio_disconnect_reason_str(dc->reason));
  CHECK(STREQ(sio_disconnect_reason_str(dc->reason), "server namespace disconnect"), "reason string");
  tev_free(dc);
  CHECK(!sio_socket_connected(cb_->socket), "socket still connected after sio_socket_disconnect");
  EXPECT_STATUS(SIO_ERR_DISCONNECTED, sio_socket_emit(cb_->socket, S("late"), S("[]"), NULL, 0));

  /* ---- the client disconnects C: "client namespace disconnect" */
  peer_send(&c, "{\"cmd\":\"disconnect\"}");
  dc = recorder_wait(&rec, 5000, SIO_EVENT_DISCONNECT, NULL, sc);
  CHECK(dc->reason == SIO_REASON_CLIENT_NAMESPACE_DISCONNECT, "reason %d", (int)dc->reason);
  CHECK(STREQ(sio_disconnect_reason_str(dc->reason), "client namespace disconnect"), "reason string %s",
        sio_disconnect_reason_str(dc->reason));
  tev_free(dc);

  /* ---- an ack pending at runtime shutdown completes exactly once (cancelled/disconnected) */
  OK(sio_socket_emit_with_ack(A, S("never"), S("[]"), NULL, 0, 0, ackrec_cb, &kc));
  free(peer_wait(&a, 5000, "\"name\":\"never\"", "\"acked\":true"));
  CHECK(ackrec_calls(&kc) == 0, "the pending ack completed early");
  sio_server_free(srv);
  sio_runtime_free(rt);
  CHECK(kc.calls == 1, "pending ack completed %d times at shutdown", kc.calls);
  CHECK(kc.outcome == SIO_ACK_CANCELLED || kc.outcome == SIO_ACK_DISCONNECTED, "pending ack outcome %d", (int)kc.outcome);
  CHECK(k1.calls == 1 && k2.calls == 1 && k3.calls == 1, "acks completed %d/%d/%d times", k1.calls, k2.calls, k3.calls);
  CHECK(rec.finalized == 1, "user_data finalizer ran %d times", rec.finalized);
  CHECK(rec.clone_failures == 0, "%d clone/take failures in the callback", rec.clone_failures);
  free(peer_wait(&a, 5000, "\"ev\":\"disconnect\""));

  tev_free(ca);
  tev_free(cb_);
  tev_free(cc);
  tev_free(ce);
  ackrec_destroy(&k1);
  ackrec_destroy(&k2);
  ackrec_destroy(&k3);
  ackrec_destroy(&kc);
  peer_close(&a, 3000);
  peer_close(&b, 3000);
  peer_close(&c, 3000);
  peer_close(&d, 3000);
  peer_close(&e, 3000);
  recorder_destroy(&rec);
  t_pass();
  return 0;
}
