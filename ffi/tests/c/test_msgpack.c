/* The msgpack parser (socket.io-msgpack-parser's packets) in the C face: the `parser`
 * field of sio_server_options and sio_client_options.
 *
 * 1. A libsio server with parser "msgpack" and the official socket.io-client using
 *    socket.io-msgpack-parser (Node peers), over websocket and over polling: events with
 *    nested binary both ways (Node sees Buffers in place, no `_placeholder` objects; the C
 *    side sees its usual placeholders + sio_bufs), acks with binary both ways.
 * 2. A libsio client with parser "msgpack" against the official Node server
 *    (tests/interop/reference-server.js --parser msgpack), over polling and websocket:
 *    `welcome`, `echo` with nested binary and an ack, `ask` answered with binary.
 * 3. A parser name other than "default"/"msgpack" is SIO_ERR_INVALID_ARGUMENT naming the
 *    option (server and client), nothing is created; "default" is accepted. A
 *    default-parser official client does not connect to the msgpack server (its
 *    connection is closed, the server sees no socket) while a msgpack one does; a
 *    default-parser libsio client does not connect to the msgpack Node server. */
#include "common.h"

static recorder rec;
static const char *const CLIENT = "ffi/tests/c/peers/client.cjs";
static const char *const SERVER = "tests/interop/reference-server.js";


/* ------------------------------------------------------------------ 1. libsio server, Node clients */

static const uint8_t B0[] = {0x01, 0x02, 0xff};
static const uint8_t B1[] = {0x00};
static const uint8_t B2[] = {0xbe, 0xef};

/* Spawns a Node client; waits for its connect and the server's CONNECTION. */
static tev *connect_peer(peer *p, const char *label, const char *url, const char *opts, char *sid, size_t n) {
  peer_spawn(p, label, CLIENT, url, opts, NULL);
  char *line = peer_wait(p, 15000, "\"ev\":\"connect\"");
  json_str(line, "id", sid, n);
  free(line);
  tev *c = recorder_wait(&rec, 5000, SIO_EVENT_CONNECTION, NULL, sid);
  CHECK(c->socket != NULL && STREQ(sio_socket_id(c->socket), sid), "CONNECTION for %s", sid);
  return c;
}

/* Waits for a line with every needle and checks it carries no `_placeholder` object. */
static void expect_in_place(peer *p, const char *what, const char *a, const char *b) {
  char *line = peer_wait(p, 5000, a, b);
  CHECK(!strstr(line, "_placeholder"), "%s: Node saw a placeholder instead of a Buffer: %s", what, line);
  free(line);
}

static void node_client(const char *url, const char *transport) {
  char opts[128], sid[64];
  snprintf(opts, sizeof opts, "{\"parser\":\"msgpack\",\"transports\":[\"%s\"],\"reconnection\":false}", transport);
  peer a;
  tev *conn = connect_peer(&a, transport, url, opts, sid, sizeof sid);
  const sio_socket *s = conn->socket;
  CHECK(STREQ(sio_socket_transport(s), transport), "transport %s, expected %s", sio_socket_transport(s), transport);

  /* server → client: binary at the top level and nested in an object and an array */
  sio_buf bufs[3] = {{B0, sizeof B0}, {B1, sizeof B1}, {B2, sizeof B2}};
  OK(sio_socket_emit(s, S("bin"),
                     S("[\"x\",{\"_placeholder\":true,\"num\":0},{\"k\":{\"_placeholder\":true,\"num\":1},"
                       "\"l\":[1,{\"_placeholder\":true,\"num\":2}]}]"),
                     bufs, 3));
  expect_in_place(&a, "bin", "\"name\":\"bin\"",
                  "\"args\":[\"x\",{\"$bin\":\"0102ff\"},{\"k\":{\"$bin\":\"00\"},\"l\":[1,{\"$bin\":\"beef\"}]}]");

  /* client → server: the same shapes come out as placeholders + buffers in order */
  peer_send(&a, "{\"cmd\":\"emit\",\"name\":\"up\",\"args\":[{\"$bin\":\"cafe\"},{\"deep\":{\"b\":[{\"$bin\":\"0a\"}]}},\"t\"]}");
  tev *m = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "up", sid);
  CHECK(STREQ(m->args_json,
              "[{\"_placeholder\":true,\"num\":0},{\"deep\":{\"b\":[{\"_placeholder\":true,\"num\":1}]}},\"t\"]"),
        "up args %s", m->args_json);
  CHECK(m->n_bufs == 2 && STREQ(tev_hex(m), "cafe,0a"), "up buffers %zu: %s", m->n_bufs, tev_hex(m));
  CHECK(m->ack == NULL, "an ack on a plain emit");
  tev_free(m);

  /* the client's ack (with binary) answered with binary through sio_ack_send */
  peer_send(&a, "{\"cmd\":\"emit\",\"name\":\"q\",\"args\":[5,{\"$bin\":\"01\"}],\"seq\":1}");
  m = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "q", sid);
  CHECK(m->ack != NULL, "no ack handle although the client asked for one");
  CHECK(STREQ(m->args_json, "[5,{\"_placeholder\":true,\"num\":0}]") && m->n_bufs == 1 && STREQ(tev_hex(m), "01"),
        "q args %s, %zu buffers", m->args_json, m->n_bufs);
  sio_buf bb[2] = {{B2, sizeof B2}, {B0, sizeof B0}};
  OK(sio_ack_send(m->ack, S("[42,{\"_placeholder\":true,\"num\":0},{\"n\":[{\"_placeholder\":true,\"num\":1}]}]"), bb,
                  2));
  tev_free(m);
  expect_in_place(&a, "ack to q", "\"ev\":\"ack\",\"seq\":1",
                  "\"args\":[42,{\"$bin\":\"beef\"},{\"n\":[{\"$bin\":\"0102ff\"}]}]");

  /* the server's emit_with_ack (binary out), answered by the client with binary */
  peer_send(&a, "{\"cmd\":\"policy\",\"name\":\"askb\",\"reply\":[{\"$bin\":\"0a0b\"},{\"n\":{\"$bin\":\"0c\"}}]}");
  free(peer_wait(&a, 5000, "\"ev\":\"policy\",\"name\":\"askb\""));
  ackrec k;
  ackrec_init(&k);
  sio_buf ab = {B1, sizeof B1};
  OK(sio_socket_emit_with_ack(s, S("askb"), S("[{\"_placeholder\":true,\"num\":0}]"), &ab, 1, 5000, ackrec_cb, &k));
  expect_in_place(&a, "askb", "\"name\":\"askb\"", "\"args\":[{\"$bin\":\"00\"}],\"acked\":true");
  ackrec_wait(&k, 5000, "askb");
  CHECK(k.outcome == SIO_ACK_ANSWERED, "askb outcome %d", (int)k.outcome);
  CHECK(STREQ(k.args_json, "[{\"_placeholder\":true,\"num\":0},{\"n\":{\"_placeholder\":true,\"num\":1}}]"),
        "askb ack args %s", k.args_json);
  CHECK(k.n_bufs == 2 && STREQ(k.bufs_hex, "0a0b,0c"), "askb ack buffers %zu: %s", k.n_bufs, k.bufs_hex);
  ackrec_destroy(&k);

  /* and the JSON-only path: the client's default answer ["re", ...args] */
  ackrec j;
  ackrec_init(&j);
  OK(sio_socket_emit_with_ack(s, S("ask"), S("[7,{\"o\":[true,null,\"s\",1.5]}]"), NULL, 0, 5000, ackrec_cb, &j));
  ackrec_wait(&j, 5000, "ask");
  CHECK(j.outcome == SIO_ACK_ANSWERED && STREQ(j.args_json, "[\"re\",7,{\"o\":[true,null,\"s\",1.5]}]") &&
            j.n_bufs == 0,
        "ask ack %d %s", (int)j.outcome, j.args_json);
  ackrec_destroy(&j);

  peer_send(&a, "{\"cmd\":\"disconnect\"}");
  tev *d = recorder_wait(&rec, 5000, SIO_EVENT_DISCONNECT, NULL, sid);
  CHECK(d->reason == SIO_REASON_CLIENT_NAMESPACE_DISCONNECT, "reason %s", sio_disconnect_reason_str(d->reason));
  tev_free(d);
  peer_close(&a, 5000);
  tev_free(conn);
}

/* A default-parser official client: its CONNECT cannot be read, the server closes the
 * connection (the client's Manager sees it close) and never has a socket; a msgpack
 * client connects to the same server afterwards. */
static void node_client_of_the_other_parser(const char *url) {
  peer p;
  peer_spawn(&p, "default-parser", CLIENT, url, "{\"transports\":[\"websocket\"],\"reconnection\":false}", NULL);
  free(peer_wait(&p, 15000, "\"ev\":\"manager-close\""));
  CHECK(!peer_has(&p, "\"ev\":\"connect\""), "a default-parser client connected to a msgpack server");
  peer_close(&p, 5000);

  char sid[64];
  peer ok;
  tev *conn = connect_peer(&ok, "msgpack", url, "{\"parser\":\"msgpack\",\"reconnection\":false}", sid, sizeof sid);
  /* The default-parser client's CONNECTION, had there been one, would still be queued. */
  CHECK(!recorder_has(&rec, SIO_EVENT_CONNECTION, 0, NULL, NULL), "another socket connected");
  tev_free(conn);
  peer_send(&ok, "{\"cmd\":\"disconnect\"}");
  tev_free(recorder_wait(&rec, 5000, SIO_EVENT_DISCONNECT, NULL, sid));
  peer_close(&ok, 5000);
}

/* ------------------------------------------------------------------ 2. libsio client, Node server */

static unsigned start_server(peer *p, const char *parser) {
  if (parser)
    peer_spawn(p, "server", SERVER, "--port", "0", "--parser", parser, NULL);
  else
    peer_spawn(p, "server", SERVER, "--port", "0", NULL);
  char *line = peer_wait(p, 15000, "listening on ");
  unsigned got = (unsigned)atoi(strstr(line, "listening on ") + strlen("listening on "));
  free(line);
  CHECK(got > 0, "no port");
  return got;
}

static sio_client *msgpack_client(sio_runtime *rt, const char *url, uint32_t transports) {
  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.parser = "msgpack";
  o.transports = transports;
  o.reconnection = false;
  sio_client *c = NULL;
  OK(sio_client_new(rt, SZ(url), &o, &c));
  return c;
}

static void libsio_client(sio_runtime *rt, const char *url, uint32_t transports, const char *transport) {
  sio_client *c = msgpack_client(rt, url, transports);
  uint64_t id = sio_client_id(c);
  tev_free(recorder_wait_ex(&rec, 15000, SIO_EVENT_CLIENT_CONNECT, id, NULL, NULL));
  tev *e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id, "welcome", NULL);
  char want[64];
  snprintf(want, sizeof want, "\"transport\":\"%s\"", transport);
  CHECK(strstr(e->args_json, "\"ns\":\"/\"") && strstr(e->args_json, want), "welcome %s", e->args_json);
  tev_free(e);

  /* echo: nested binary out and back, as the event and as the ack */
  sio_buf bufs[3] = {{B0, sizeof B0}, {B1, sizeof B1}, {B2, sizeof B2}};
  const char *args = "[\"e\",{\"_placeholder\":true,\"num\":0},{\"deep\":[{\"_placeholder\":true,\"num\":1},"
                     "{\"x\":{\"_placeholder\":true,\"num\":2}}]}]";
  ackrec echo;
  ackrec_init(&echo);
  OK(sio_client_emit_with_ack(c, S("echo"), SZ(args), bufs, 3, 5000, ackrec_cb, &echo));
  ackrec_wait(&echo, 5000, "echo");
  CHECK(echo.outcome == SIO_ACK_ANSWERED && STREQ(echo.args_json, args), "echo ack %d %s", (int)echo.outcome,
        echo.args_json);
  CHECK(echo.n_bufs == 3 && STREQ(echo.bufs_hex, "0102ff,00,beef"), "echo ack buffers %zu: %s", echo.n_bufs,
        echo.bufs_hex);
  ackrec_destroy(&echo);
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id, "echo", NULL);
  CHECK(STREQ(e->args_json, args) && e->n_bufs == 3 && STREQ(tev_hex(e), "0102ff,00,beef"), "echo event %s (%s)",
        e->args_json, tev_hex(e));
  tev_free(e);

  /* ask: the server emits `q` with an ack to the client; the C client answers with binary */
  ackrec ask;
  ackrec_init(&ask);
  OK(sio_client_emit_with_ack(c, S("ask"), S("[\"q\",{\"_placeholder\":true,\"num\":0}]"), bufs, 1, 5000, ackrec_cb,
                              &ask));
  e = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id, "q", NULL);
  CHECK(e->ack != NULL && STREQ(e->args_json, "[{\"_placeholder\":true,\"num\":0}]") && STREQ(tev_hex(e), "0102ff"),
        "q: ack %p args %s (%s)", (void *)e->ack, e->args_json, tev_hex(e));
  sio_buf reply = {B2, sizeof B2};
  OK(sio_ack_send(e->ack, S("[\"pong\",{\"b\":{\"_placeholder\":true,\"num\":0}}]"), &reply, 1));
  tev_free(e);
  ackrec_wait(&ask, 5000, "ask");
  CHECK(ask.outcome == SIO_ACK_ANSWERED &&
            STREQ(ask.args_json, "[null,[\"pong\",{\"b\":{\"_placeholder\":true,\"num\":0}}]]") && ask.n_bufs == 1 &&
            STREQ(ask.bufs_hex, "beef"),
        "ask: %d %s (%s)", (int)ask.outcome, ask.args_json, ask.bufs_hex);
  ackrec_destroy(&ask);

  /* transport, acked by the server: the connection really is on `transport` */
  ackrec t;
  ackrec_init(&t);
  OK(sio_client_emit_with_ack(c, S("transport"), S("[]"), NULL, 0, 5000, ackrec_cb, &t));
  ackrec_wait(&t, 5000, "transport");
  char tr[64];
  snprintf(tr, sizeof tr, "[\"%s\"]", transport);
  CHECK(STREQ(t.args_json, tr), "transport ack %s", t.args_json);
  ackrec_destroy(&t);

  OK(sio_client_disconnect(c));
  tev_free(recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_DISCONNECT, id, NULL, NULL));
  sio_client_free(c);
}

/* A default-parser libsio client against the msgpack Node server: the server cannot read
 * its CONNECT and closes the connection; the client never connects. */
static void libsio_client_of_the_other_parser(sio_runtime *rt, const char *url) {
  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.transports = SIO_TRANSPORT_WEBSOCKET;
  o.reconnection = false;
  sio_client *c = NULL;
  OK(sio_client_new(rt, SZ(url), &o, &c));
  uint64_t id = sio_client_id(c);
  OK(sio_client_watch_manager(c, true));
  tev_free(recorder_wait_ex(&rec, 15000, SIO_EVENT_MANAGER_CLOSE, id, NULL, NULL));
  CHECK(!recorder_has(&rec, SIO_EVENT_CLIENT_CONNECT, id, NULL, NULL) && !sio_client_connected(c),
        "a default-parser client connected to a msgpack server");
  sio_client_free(c);
}

/* ------------------------------------------------------------------ 3. bad names */

static void expect_invalid(const char *what, sio_status st) {
  CHECK(st == SIO_ERR_INVALID_ARGUMENT, "%s: status %s, expected SIO_ERR_INVALID_ARGUMENT", what, sio_status_str(st));
  CHECK(strstr(sio_last_error(), "option \"parser\"") && strstr(sio_last_error(), "\"msgpack\""),
        "%s: last error `%s`", what, sio_last_error());
}

static void bad_names(sio_runtime *rt) {
  const char *bad[] = {"cbor", "", "MsgPack", "msgpack "};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sio_server_options so;
    OK(sio_server_options_default(&so));
    so.parser = bad[i];
    sio_server *srv = NULL;
    expect_invalid(bad[i], sio_server_new(rt, &so, &srv));
    CHECK(srv == NULL, "a server was created with parser `%s`", bad[i]);

    sio_client_options co;
    OK(sio_client_options_default(&co));
    co.parser = bad[i];
    sio_client *cl = NULL;
    expect_invalid(bad[i], sio_client_new(rt, S("http://127.0.0.1:1/"), &co, &cl));
    CHECK(cl == NULL, "a client was created with parser `%s`", bad[i]);
  }
  sio_server_options so;
  OK(sio_server_options_default(&so));
  CHECK(so.parser == NULL, "default parser field %p", (const void *)so.parser);
  so.parser = "\xff";
  sio_server *srv = NULL;
  EXPECT_STATUS(SIO_ERR_INVALID_UTF8, sio_server_new(rt, &so, &srv));
  CHECK(strstr(sio_last_error(), "parser"), "last error `%s` does not name the field", sio_last_error());
  so.parser = "default";
  OK(sio_server_new(rt, &so, &srv));
  sio_server_free(srv);
  sio_client_options co;
  OK(sio_client_options_default(&co));
  CHECK(co.parser == NULL, "default client parser field %p", (const void *)co.parser);
  co.parser = "default";
  co.reconnection = false;
  sio_client *cl = NULL;
  OK(sio_client_new(rt, S("http://127.0.0.1:1/"), &co, &cl));
  sio_client_free(cl);
}

int main(void) {
  t_begin("test_msgpack", 120);
  recorder_init(&rec);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, recorder_cb, &rec, NULL, &rt));

  bad_names(rt);

  /* 1. */
  sio_server_options so;
  OK(sio_server_options_default(&so));
  so.parser = "msgpack";
  sio_server *srv = NULL;
  OK(sio_server_new(rt, &so, &srv));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  node_client(url, "websocket");
  node_client(url, "polling");
  node_client_of_the_other_parser(url);
  OK(sio_server_close(srv));
  sio_server_free(srv);

  /* 2. */
  peer node;
  unsigned nport = start_server(&node, "msgpack");
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", nport);
  libsio_client(rt, url, SIO_TRANSPORT_POLLING, "polling");
  libsio_client(rt, url, SIO_TRANSPORT_WEBSOCKET, "websocket");
  libsio_client_of_the_other_parser(rt, url);
  peer_kill(&node);

  sio_runtime_free(rt);
  CHECK(rec.clone_failures == 0, "clone failures");
  recorder_destroy(&rec);
  t_pass();
  return 0;
}
