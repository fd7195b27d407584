/* Bad arguments at the C ABI: NULL handles and out-params, invalid UTF-8, invalid JSON,
 * reserved event names, the panic boundary, status/reason strings, NULL-safe frees,
 * out-params untouched on failure, wrong delivery mode. No network peer. */
#include "common.h"

static void ack_never(void *ud, sio_ack_outcome o, const char *j, size_t jl, const sio_buf *b, size_t nb) {
  (void)ud; (void)o; (void)j; (void)jl; (void)b; (void)nb;
}

static void cb_never(void *ud, const sio_event *ev) {
  (void)ud; (void)ev;
}

int main(void) {
  t_begin("test_args", 60);
  static const char bad_utf8[] = "ev\xff\xfe";
  static const char bad_json[] = "[1, 2";

  /* ---- status and reason strings */
  for (int s = SIO_OK; s <= SIO_ERR_PANIC; s++) {
    const char *m = sio_status_str((sio_status)s);
    CHECK(m != NULL && m[0] != '\0', "sio_status_str(%d) is empty", s);
    for (int t = SIO_OK; t < s; t++)
      CHECK(!STREQ(m, sio_status_str((sio_status)t)), "status %d and %d share the string `%s`", s, t, m);
  }
  static const char *const reasons[] = {
      "", "server namespace disconnect", "client namespace disconnect", "server shutting down",
      "ping timeout", "transport close", "transport error", "parse error", "forced close",
      "forced server close", "io server disconnect", "io client disconnect"};
  for (int r = SIO_REASON_NONE; r <= SIO_REASON_IO_CLIENT_DISCONNECT; r++) {
    const char *m = sio_disconnect_reason_str((sio_disconnect_reason)r);
    CHECK(m && STREQ(m, reasons[r]), "reason %d is `%s`, expected `%s`", r, m ? m : "(null)", reasons[r]);
  }

  /* ---- panic boundary */
  EXPECT_STATUS(SIO_ERR_PANIC, sio_debug_panic());
  CHECK(strstr(sio_last_error(), "panic") != NULL, "last error after panic: `%s`", sio_last_error());

  /* ---- options defaults */
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_options_default(NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_options_default(NULL));
  sio_server_options so;
  OK(sio_server_options_default(&so));
  CHECK(so.ping_interval_ms == 25000 && so.ping_timeout_ms == 20000 && so.connect_timeout_ms == 45000 &&
            so.max_http_buffer_size == 1000000 && so.transports == (SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET),
        "server defaults differ from the reference");
  sio_client_options co;
  OK(sio_client_options_default(&co));
  CHECK(co.reconnection && co.upgrade && co.reconnection_delay_ms == 1000 && co.reconnection_delay_max_ms == 5000 &&
            co.timeout_ms == 20000 && co.reconnection_attempts == 0 && co.reject_unauthorized,
        "client defaults differ from socket.io-client");

  /* ---- runtime */
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_runtime_new(1, NULL, NULL, NULL, NULL));
  sio_runtime *cbrt = NULL;
  OK(sio_runtime_new(1, cb_never, NULL, NULL, &cbrt));
  sio_event *ev = (sio_event *)0x1;
  EXPECT_STATUS(SIO_ERR_WRONG_MODE, sio_next_event(cbrt, 10, &ev));
  CHECK(ev == (sio_event *)0x1, "out-param written on failure");
  sio_runtime_free(cbrt);

  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_next_event(NULL, 10, &ev));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_next_event(rt, 10, NULL));
  EXPECT_STATUS(SIO_ERR_TIMEOUT, sio_next_event(rt, 20, &ev));
  CHECK(ev == (sio_event *)0x1, "out-param written on timeout");

  /* ---- server */
  sio_server *srv = (sio_server *)0x1;
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_new(NULL, NULL, &srv));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_new(rt, NULL, NULL));
  sio_server_options noway = so;
  noway.transports = 0;
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_new(rt, &noway, &srv));
  sio_server_options badpath = so;
  badpath.path = bad_utf8;
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_new(rt, &badpath, &srv));
  CHECK(srv == (sio_server *)0x1, "sio_server_new wrote *out on failure");
  srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  CHECK(sio_server_id(srv) != 0, "server id is 0");
  CHECK(sio_server_id(NULL) == 0, "sio_server_id(NULL) != 0");

  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_listen(NULL, S("127.0.0.1:0"), NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_listen(srv, NULL, 5, NULL));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_listen(srv, S(bad_utf8), NULL));
  uint16_t port = 7;
  sio_status st = sio_server_listen(srv, S("not an address"), &port);
  CHECK(st != SIO_OK, "listening on `not an address` succeeded");
  CHECK(sio_last_error()[0] != '\0', "no last error after a failed listen");
  CHECK(port == 7, "out_port written on failure");

  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_namespace(NULL, S("/x"), false));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_namespace(srv, NULL, 2, false));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_namespace(srv, S("/\xc3\x28"), false));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_namespace(srv, S("nope"), false));

  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit(NULL, NULL, 0, NULL, 0, NULL, 0, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S(bad_utf8), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_emit(srv, NULL, 0, S("\xff"), NULL, 0, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), S("[\"\xff\"]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), S(bad_json), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), S("{\"a\":1}"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), S("42"), NULL, 0));
  /* a placeholder for a buffer that was not passed */
  EXPECT_STATUS(SIO_ERR_INVALID_JSON,
                sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), S("[{\"_placeholder\":true,\"num\":0}]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), S("[]"), NULL, 2));
  sio_buf nullbuf = {NULL, 3};
  EXPECT_STATUS(SIO_ERR_NULL_ARG,
                sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), S("[{\"_placeholder\":true,\"num\":0}]"), &nullbuf, 1));
  static const char *const reserved[] = {"connect", "connect_error", "disconnect", "disconnecting",
                                         "newListener", "removeListener"};
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
    EXPECT_STATUS(SIO_ERR_RESERVED_EVENT,
                  sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, SZ(reserved[i]), S("[]"), NULL, 0));
  /* a valid emit to nobody is fine, with or without arguments */
  OK(sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), S("[1,\"two\"]"), NULL, 0));
  OK(sio_server_emit(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), NULL, 0, NULL, 0));

  /* multi-room emits: a count without its array, a bad room */
  const sio_str rooms[] = {{S("r1")}, {S("\xff")}};
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(NULL, NULL, 0, rooms, 1, NULL, 0, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(srv, NULL, 0, NULL, 1, NULL, 0, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_emit_rooms(srv, NULL, 0, rooms, 1, NULL, 1, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_emit_rooms(srv, NULL, 0, rooms, 2, NULL, 0, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_server_emit_rooms(srv, NULL, 0, rooms, 1, NULL, 0, S("connect"), NULL, 0, NULL, 0));
  OK(sio_server_emit_rooms(srv, NULL, 0, rooms, 1, rooms, 1, S("ev"), NULL, 0, NULL, 0));
  OK(sio_server_emit_rooms(srv, NULL, 0, NULL, 0, NULL, 0, S("ev"), NULL, 0, NULL, 0));

  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_close(NULL));

  /* ---- socket functions with NULL handles / out-params */
  char *str = (char *)0x1;
  sio_socket *sclone = (sio_socket *)0x1;
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_clone(NULL, &sclone));
  CHECK(sclone == (sio_socket *)0x1, "sio_socket_clone wrote *out on failure");
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_handshake_json(NULL, &str, NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_rooms_json(NULL, &str, NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_data_json(NULL, &str, NULL));
  CHECK(str == (char *)0x1, "string out-param written on failure");
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_set_data_json(NULL, S("1")));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_join(NULL, S("r")));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_leave(NULL, S("r")));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_emit(NULL, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_emit_with_ack(NULL, S("ev"), S("[]"), NULL, 0, 0, ack_never, NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_broadcast(NULL, NULL, 0, NULL, 0, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_broadcast_rooms(NULL, rooms, 1, NULL, 0, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_socket_disconnect(NULL, false));
  CHECK(sio_socket_id(NULL) == NULL, "sio_socket_id(NULL) is not NULL");
  CHECK(sio_socket_conn_id(NULL) == NULL, "sio_socket_conn_id(NULL) is not NULL");
  CHECK(sio_socket_transport(NULL) == NULL, "sio_socket_transport(NULL) is not NULL");
  CHECK(!sio_socket_connected(NULL), "sio_socket_connected(NULL) is true");
  CHECK(!sio_socket_recovered(NULL), "sio_socket_recovered(NULL) is true");

  /* ---- ack and middleware handles */
  sio_ack *aclone = (sio_ack *)0x1;
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_ack_send(NULL, S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_ack_clone(NULL, &aclone));
  CHECK(aclone == (sio_ack *)0x1, "sio_ack_clone wrote *out on failure");
  sio_middleware *mtaken = (sio_middleware *)0x1;
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_middleware_accept(NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_middleware_refuse(NULL, S("no"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_middleware_take(NULL, &mtaken));
  CHECK(mtaken == (sio_middleware *)0x1, "sio_middleware_take wrote *out on failure");

  /* ---- client */
  sio_client *cl = (sio_client *)0x1;
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_new(NULL, S("http://127.0.0.1:1/"), NULL, &cl));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_new(rt, NULL, 5, NULL, &cl));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_new(rt, S("http://127.0.0.1:1/"), NULL, NULL));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_client_new(rt, S("http://127.0.0.1:1/\xff"), NULL, &cl));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_client_new(rt, S("ftp://127.0.0.1:1/"), NULL, &cl));
  sio_client_options badauth = co;
  badauth.auth_json = "{not json";
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_new(rt, S("http://127.0.0.1:1/"), &badauth, &cl));
  badauth.auth_json = "{\"k\":\"\xff\"}";
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_client_new(rt, S("http://127.0.0.1:1/"), &badauth, &cl));
  sio_client_options notransport = co;
  notransport.transports = 0;
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_client_new(rt, S("http://127.0.0.1:1/"), &notransport, &cl));
  CHECK(cl == (sio_client *)0x1, "sio_client_new wrote *out on failure");

  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_connect(NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_disconnect(NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_emit(NULL, S("ev"), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_emit_with_ack(NULL, S("ev"), S("[]"), NULL, 0, 0, ack_never, NULL));
  CHECK(sio_client_id(NULL) == 0, "sio_client_id(NULL) != 0");
  CHECK(sio_client_socket_id(NULL) == NULL, "sio_client_socket_id(NULL) != NULL");
  CHECK(!sio_client_connected(NULL) && !sio_client_active(NULL) && !sio_client_recovered(NULL),
        "NULL client reads as connected/active/recovered");

  /* A client towards a closed port: argument checks happen before any I/O. */
  sio_client_options quiet = co;
  quiet.reconnection = false;
  cl = NULL;
  OK(sio_client_new(rt, S("http://127.0.0.1:9/"), &quiet, &cl));
  CHECK(sio_client_id(cl) != 0, "client id is 0");
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_emit(cl, NULL, 2, S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_client_emit(cl, S(bad_utf8), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_emit(cl, S("ev"), S(bad_json), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_emit(cl, S("ev"), S("\"not an array\""), NULL, 0));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_client_emit(cl, S("ev"), S("[\"\xc3\"]"), NULL, 0));
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
    EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_client_emit(cl, SZ(reserved[i]), S("[]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_emit_with_ack(cl, S("ev"), S("[]"), NULL, 0, 100, NULL, NULL));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_emit_with_ack(cl, S("ev"), S("[}"), NULL, 0, 100, ack_never, NULL));
  EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_client_emit_with_ack(cl, S("connect"), S("[]"), NULL, 0, 100, ack_never, NULL));
  sio_client *more = (sio_client *)0x1;
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_socket(NULL, S("/x"), NULL, 0, &more));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_socket(cl, NULL, 2, NULL, 0, &more));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_socket(cl, S("/x"), NULL, 0, NULL));
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_client_socket(cl, S("/\xff"), NULL, 0, &more));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_client_socket(cl, S("x"), NULL, 0, &more));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_client_socket(cl, S("/"), NULL, 0, &more)); /* cl's own */
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_socket(cl, S("/x"), S("{"), &more));
  CHECK(more == (sio_client *)0x1, "sio_client_socket wrote *out on failure");
  /* a second namespace of a connection that cannot open: fine, and freed on its own */
  more = NULL;
  OK(sio_client_socket(cl, S("/x"), S("{\"k\":1}"), &more));
  CHECK(sio_client_id(more) != 0 && sio_client_id(more) != sio_client_id(cl), "ids %llu %llu",
        (unsigned long long)sio_client_id(more), (unsigned long long)sio_client_id(cl));
  sio_client_free(more);

  /* ---- the last error is per thread and replaced by the next failure */
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_emit(cl, S("ev"), S("[1,"), NULL, 0));
  char first[256];
  snprintf(first, sizeof first, "%s", sio_last_error());
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_client_emit(NULL, S("ev"), S("[]"), NULL, 0));
  CHECK(!STREQ(first, sio_last_error()), "last error not replaced: `%s`", first);

  /* ---- every free is NULL-safe */
  sio_string_free(NULL);
  sio_event_free(NULL);
  sio_ack_free(NULL);
  sio_middleware_free(NULL);
  sio_socket_free(NULL);
  sio_server_free(NULL);
  sio_client_free(NULL);
  sio_runtime_free(NULL);

  sio_client_free(cl);
  sio_server_free(srv);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
