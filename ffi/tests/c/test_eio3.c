/* Engine.IO 3 clients (socket.io-client 2.x) in the C face: the `allow_eio3` field of
 * sio_server_options, as socket.io's `allowEIO3`.
 *
 * 1. A libsio server with allow_eio3 and socket.io-client 2.x (Node peer, npm alias
 *    socket.io-client-v2) over polling only, websocket only, and polling then upgrade:
 *    the server sees a connection on `/` although the 2.x client sends no CONNECT for it,
 *    its socket id is the client's `socket.id` (the Engine.IO id), the handshake is an
 *    EIO=3 one; nested binary both ways (Node sees Buffers in place, the C side its
 *    placeholders + sio_bufs); the client's ack answered by sio_ack_send with binary, the
 *    server's emit_with_ack answered by the client with binary (and with JSON only).
 * 2. `/admin` (with a namespace middleware) and the 2.x client's `query` option: the
 *    server's socket has handshake auth {"token":"secret"} and id `/admin#<engine id>`
 *    (the server also joins `/` for that connection by itself); events on /admin both
 *    ways; a refusal with data gives the 2.x client an `error` event carrying that data,
 *    one without data the message.
 * 3. With allow_eio3 false (the default) a 2.x client (polling, websocket) gets
 *    `connect_error` and the server sees no connection; the official socket.io-client
 *    (Engine.IO 4) still connects to the allow_eio3 server. */
#include "common.h"

static recorder rec;
static const char *const CLIENT = "ffi/tests/c/peers/client.cjs";


static char *handshake(const sio_socket *s) {
  char *out = NULL;
  size_t len = 0;
  OK(sio_socket_handshake_json(s, &out, &len));
  CHECK(out != NULL && strlen(out) == len, "handshake length %zu", len);
  return out;
}

/* Waits for a line with every needle and checks it carries no `_placeholder` object. */
static void expect_in_place(peer *p, const char *what, const char *a, const char *b) {
  char *line = peer_wait(p, 5000, a, b);
  CHECK(!strstr(line, "_placeholder"), "%s: Node saw a placeholder instead of a Buffer: %s", what, line);
  free(line);
}

/* Spawns a 2.x client and waits for its connect: its socket.id and Engine.IO id. */
static void spawn_v2(peer *p, const char *label, const char *url, const char *opts, char *sid, char *engine) {
  peer_spawn(p, label, CLIENT, url, opts, NULL);
  char *line = peer_wait(p, 15000, "\"ev\":\"connect\"");
  json_str(line, "id", sid, 64);
  json_str(line, "engine", engine, 64);
  free(line);
}

/* ------------------------------------------------------------------ 1. `/` over each transport */

static const uint8_t B0[] = {0x01, 0x02, 0xff};
static const uint8_t B1[] = {0x00};
static const uint8_t B2[] = {0xbe, 0xef};

/* transport: "polling", "websocket", or NULL (the default: polling, then the upgrade). */
static void v2_client(const sio_server *srv, const char *url, const char *transport) {
  char opts[160], sid[64], engine[64];
  if (transport)
    snprintf(opts, sizeof opts, "{\"v2\":true,\"transports\":[\"%s\"],\"reconnection\":false}", transport);
  else
    snprintf(opts, sizeof opts, "{\"v2\":true,\"reconnection\":false}");
  const char *label = transport ? transport : "upgrade";
  peer a;
  spawn_v2(&a, label, url, opts, sid, engine);
  CHECK(STREQ(sid, engine), "[%s] the 2.x client's id on / is %s, its Engine.IO id %s", label, sid, engine);

  /* the server joined / without a CONNECT packet, under the client's own id */
  tev *conn = recorder_wait(&rec, 5000, SIO_EVENT_CONNECTION, NULL, sid);
  const sio_socket *s = conn->socket;
  CHECK(s != NULL && STREQ(sio_socket_id(s), sid), "[%s] CONNECTION for %s", label, sid);
  CHECK(conn->source_id == sio_server_id(srv), "[%s] source_id %llu", label, (unsigned long long)conn->source_id);
  CHECK(STREQ(conn->ns, "/"), "[%s] namespace %s", label, conn->ns);
  CHECK(STREQ(sio_socket_conn_id(s), engine), "[%s] conn id %s, the client's Engine.IO id %s", label,
        sio_socket_conn_id(s), engine);
  char *hs = handshake(s);
  CHECK(strstr(hs, "\"EIO\":\"3\"") && strstr(hs, "\"auth\":{}"), "[%s] handshake %s", label, hs);
  sio_string_free(hs);
  if (!transport) {
    tev *up = recorder_wait(&rec, 10000, SIO_EVENT_UPGRADE, engine, NULL);
    CHECK(STREQ(up->message, "websocket"), "[%s] upgraded to `%s`", label, up->message);
    tev_free(up);
  }
  const char *now = transport ? transport : "websocket";
  CHECK(STREQ(sio_socket_transport(s), now), "[%s] transport %s, expected %s", label, sio_socket_transport(s), now);

  /* server → client: binary at the top level and nested in an object and an array */
  sio_buf bufs[3] = {{B0, sizeof B0}, {B1, sizeof B1}, {B2, sizeof B2}};
  OK(sio_socket_emit(s, S("bin"),
                     S("[\"x\",{\"_placeholder\":true,\"num\":0},{\"k\":{\"_placeholder\":true,\"num\":1},"
                       "\"l\":[1,{\"_placeholder\":true,\"num\":2}]}]"),
                     bufs, 3));
  expect_in_place(&a, "bin", "\"name\":\"bin\"",
                  "\"args\":[\"x\",{\"$bin\":\"0102ff\"},{\"k\":{\"$bin\":\"00\"},\"l\":[1,{\"$bin\":\"beef\"}]}],"
                  "\"acked\":false");

  /* client → server: nested binary comes out as placeholders + buffers in order */
  peer_send(&a, "{\"cmd\":\"emit\",\"name\":\"up\",\"args\":[{\"$bin\":\"cafe\"},{\"deep\":{\"b\":[{\"$bin\":\"0a\"}]}},\"t\"]}");
  tev *m = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "up", sid);
  CHECK(STREQ(m->args_json,
              "[{\"_placeholder\":true,\"num\":0},{\"deep\":{\"b\":[{\"_placeholder\":true,\"num\":1}]}},\"t\"]"),
        "[%s] up args %s", label, m->args_json);
  CHECK(m->n_bufs == 2 && STREQ(tev_hex(m), "cafe,0a"), "[%s] up buffers %zu: %s", label, m->n_bufs, tev_hex(m));
  CHECK(m->ack == NULL, "[%s] an ack on a plain emit", label);
  tev_free(m);

  /* the client's ack (with binary) answered with binary through sio_ack_send */
  peer_send(&a, "{\"cmd\":\"emit\",\"name\":\"q\",\"args\":[5,{\"$bin\":\"01\"}],\"seq\":1}");
  m = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "q", sid);
  CHECK(m->ack != NULL, "[%s] no ack handle although the client asked for one", label);
  CHECK(STREQ(m->args_json, "[5,{\"_placeholder\":true,\"num\":0}]") && m->n_bufs == 1 && STREQ(tev_hex(m), "01"),
        "[%s] q args %s, %zu buffers", label, m->args_json, m->n_bufs);
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
  CHECK(k.outcome == SIO_ACK_ANSWERED, "[%s] askb outcome %d", label, (int)k.outcome);
  CHECK(STREQ(k.args_json, "[{\"_placeholder\":true,\"num\":0},{\"n\":{\"_placeholder\":true,\"num\":1}}]"),
        "[%s] askb ack args %s", label, k.args_json);
  CHECK(k.n_bufs == 2 && STREQ(k.bufs_hex, "0a0b,0c"), "[%s] askb ack buffers %zu: %s", label, k.n_bufs, k.bufs_hex);
  ackrec_destroy(&k);

  /* and the JSON-only path: the client's default answer ["re", ...args] */
  ackrec j;
  ackrec_init(&j);
  OK(sio_socket_emit_with_ack(s, S("ask"), S("[7,{\"o\":[true,null,\"s\",1.5]}]"), NULL, 0, 5000, ackrec_cb, &j));
  ackrec_wait(&j, 5000, "ask");
  CHECK(j.outcome == SIO_ACK_ANSWERED && STREQ(j.args_json, "[\"re\",7,{\"o\":[true,null,\"s\",1.5]}]") &&
            j.n_bufs == 0,
        "[%s] ask ack %d %s", label, (int)j.outcome, j.args_json);
  ackrec_destroy(&j);

  /* the whole exchange stayed on one transport / connection */
  CHECK(STREQ(sio_socket_transport(s), now), "[%s] transport %s at the end", label, sio_socket_transport(s));
  CHECK(!recorder_has(&rec, SIO_EVENT_DISCONNECT, 0, NULL, sid), "[%s] the socket left during the exchange", label);

  peer_send(&a, "{\"cmd\":\"disconnect\"}");
  tev *d = recorder_wait(&rec, 5000, SIO_EVENT_DISCONNECT, NULL, sid);
  CHECK(d->reason == SIO_REASON_CLIENT_NAMESPACE_DISCONNECT, "[%s] reason %s", label,
        sio_disconnect_reason_str(d->reason));
  tev_free(d);
  CHECK(!sio_socket_connected(s), "[%s] still connected after DISCONNECT", label);
  peer_close(&a, 5000);
  tev_free(conn);
}

/* ------------------------------------------------------------------ 2. /admin: query as auth, refusals */

/* Waits for the MIDDLEWARE of a 2.x client on /admin; checks its socket and auth. */
static tev *admin_middleware(const char *label, const char *auth) {
  tev *mw = recorder_wait(&rec, 15000, SIO_EVENT_MIDDLEWARE, NULL, NULL);
  CHECK(STREQ(mw->ns, "/admin") && mw->socket != NULL && mw->decision != NULL, "[%s] middleware for %s", label,
        mw->ns);
  char want[96];
  snprintf(want, sizeof want, "/admin#%s", sio_socket_conn_id(mw->socket));
  CHECK(STREQ(mw->sid, want), "[%s] middleware socket id %s, expected %s", label, mw->sid, want);
  char *hs = handshake(mw->socket);
  CHECK(strstr(hs, auth) && strstr(hs, "\"EIO\":\"3\""), "[%s] middleware handshake lacks %s: %s", label, auth, hs);
  sio_string_free(hs);
  return mw;
}

static void admin(const char *url_admin) {
  /* accepted: the query is the auth payload */
  peer ok;
  peer_spawn(&ok, "admin-ok", CLIENT, url_admin,
             "{\"v2\":true,\"query\":{\"token\":\"secret\"},\"transports\":[\"websocket\"],\"reconnection\":false}",
             NULL);
  tev *mw = admin_middleware("secret", "\"auth\":{\"token\":\"secret\"}");
  char mw_sid[64], engine0[64];
  snprintf(mw_sid, sizeof mw_sid, "%s", mw->sid);
  snprintf(engine0, sizeof engine0, "%s", sio_socket_conn_id(mw->socket));
  OK(sio_middleware_accept(mw->decision));
  tev_free(mw);
  char *line = peer_wait(&ok, 15000, "\"ev\":\"connect\"");
  char sid[64], engine[64];
  json_str(line, "id", sid, sizeof sid);
  json_str(line, "engine", engine, sizeof engine);
  free(line);
  char want[96];
  snprintf(want, sizeof want, "/admin#%s", engine);
  CHECK(STREQ(sid, want), "the 2.x client's id %s, expected %s", sid, want);
  CHECK(STREQ(sid, mw_sid) && STREQ(engine, engine0), "client id %s (engine %s), middleware socket %s (engine %s)",
        sid, engine, mw_sid, engine0);

  tev *conn = recorder_wait(&rec, 5000, SIO_EVENT_CONNECTION, NULL, sid);
  const sio_socket *s = conn->socket;
  CHECK(STREQ(conn->ns, "/admin") && STREQ(sio_socket_id(s), sid), "CONNECTION %s on %s", sio_socket_id(s), conn->ns);
  char *hs = handshake(s);
  CHECK(strstr(hs, "\"auth\":{\"token\":\"secret\"}"), "handshake auth: %s", hs);
  sio_string_free(hs);
  /* as socket.io's allowEIO3, the server joined / for this connection by itself */
  tev *root = recorder_wait(&rec, 5000, SIO_EVENT_CONNECTION, NULL, engine);
  CHECK(STREQ(root->ns, "/"), "the engine's own socket on %s", root->ns);
  tev_free(root);

  /* events on /admin both ways */
  OK(sio_socket_emit(s, S("hello"), S("[\"admin\"]"), NULL, 0));
  free(peer_wait(&ok, 5000, "\"name\":\"hello\",\"args\":[\"admin\"]"));
  peer_send(&ok, "{\"cmd\":\"emit\",\"name\":\"up\",\"args\":[{\"$bin\":\"ab\"}],\"seq\":2}");
  tev *m = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "up", sid);
  CHECK(STREQ(m->ns, "/admin") && m->n_bufs == 1 && STREQ(tev_hex(m), "ab") && m->ack, "up on /admin: %s %s", m->ns,
        m->args_json);
  OK(sio_ack_send(m->ack, S("[\"ok\"]"), NULL, 0));
  tev_free(m);
  free(peer_wait(&ok, 5000, "\"ev\":\"ack\",\"seq\":2,\"args\":[\"ok\"]"));

  /* refused with data: the 2.x client's `error` event carries the data */
  peer bad;
  peer_spawn(&bad, "admin-bad", CLIENT, url_admin,
             "{\"v2\":true,\"query\":{\"token\":\"nope\"},\"transports\":[\"websocket\"],\"reconnection\":false}",
             NULL);
  mw = admin_middleware("nope", "\"auth\":{\"token\":\"nope\"}");
  char bad_sid[64], bad_engine[64];
  snprintf(bad_sid, sizeof bad_sid, "%s", mw->sid);
  snprintf(bad_engine, sizeof bad_engine, "%s", sio_socket_conn_id(mw->socket));
  OK(sio_middleware_refuse(mw->decision, S("unauthorized"), S("{\"reason\":\"bad token\"}")));
  tev_free(mw);
  free(peer_wait(&bad, 5000, "\"ev\":\"error\",\"data\":{\"reason\":\"bad token\"}"));
  CHECK(!peer_has(&bad, "\"ev\":\"connect\""), "a refused 2.x client connected");
  CHECK(!recorder_has(&rec, SIO_EVENT_CONNECTION, 0, NULL, bad_sid), "a refused socket produced CONNECTION");
  tev_free(recorder_wait(&rec, 5000, SIO_EVENT_CONNECTION, NULL, bad_engine)); /* its `/` */

  /* refused without data: the error's message */
  peer bare;
  peer_spawn(&bare, "admin-bare", CLIENT, url_admin,
             "{\"v2\":true,\"query\":{\"token\":\"\"},\"transports\":[\"polling\"],\"reconnection\":false}", NULL);
  mw = admin_middleware("empty", "\"auth\":{\"token\":\"\"}");
  char bare_sid[64];
  snprintf(bare_sid, sizeof bare_sid, "%s", mw->sid);
  OK(sio_middleware_refuse(mw->decision, S("no token"), NULL, 0));
  tev_free(mw);
  free(peer_wait(&bare, 5000, "\"ev\":\"error\",\"data\":\"no token\""));
  CHECK(!peer_has(&bare, "\"ev\":\"connect\""), "a refused 2.x client connected");
  CHECK(!recorder_has(&rec, SIO_EVENT_CONNECTION, 0, NULL, bare_sid), "a refused socket produced CONNECTION");

  /* the accepted socket is unaffected */
  CHECK(sio_socket_connected(s), "the accepted /admin socket went away");
  OK(sio_socket_emit(s, S("still"), S("[]"), NULL, 0));
  free(peer_wait(&ok, 5000, "\"name\":\"still\""));

  peer_close(&bare, 5000);
  peer_close(&bad, 5000);
  peer_close(&ok, 5000);
  tev_free(recorder_wait(&rec, 5000, SIO_EVENT_DISCONNECT, NULL, sid));
  tev_free(conn);
}

/* ------------------------------------------------------------------ 3. allow_eio3 off; Engine.IO 4 on */

static void v2_refused(const sio_server *srv, const char *url, const char *transport) {
  char opts[128];
  snprintf(opts, sizeof opts, "{\"v2\":true,\"transports\":[\"%s\"],\"reconnection\":false}", transport);
  peer p;
  peer_spawn(&p, transport, CLIENT, url, opts, NULL);
  free(peer_wait(&p, 15000, "\"ev\":\"connect_error\""));
  CHECK(!peer_has(&p, "\"ev\":\"connect\""), "[%s] a 2.x client connected without allow_eio3", transport);
  CHECK(!recorder_has(&rec, SIO_EVENT_CONNECTION, sio_server_id(srv), NULL, NULL) &&
            !recorder_has(&rec, SIO_EVENT_MIDDLEWARE, sio_server_id(srv), NULL, NULL),
        "[%s] the server without allow_eio3 saw a connection", transport);
  peer_close(&p, 5000);
}

static void v4_client(const char *url, const char *transport) {
  char opts[128], sid[64];
  snprintf(opts, sizeof opts, "{\"transports\":[\"%s\"],\"reconnection\":false}", transport);
  peer p;
  peer_spawn(&p, transport, CLIENT, url, opts, NULL);
  char *line = peer_wait(&p, 15000, "\"ev\":\"connect\"");
  json_str(line, "id", sid, sizeof sid);
  free(line);
  tev *c = recorder_wait(&rec, 5000, SIO_EVENT_CONNECTION, NULL, sid);
  CHECK(strlen(sid) == 20 && STREQ(sio_socket_id(c->socket), sid) && !STREQ(sid, sio_socket_conn_id(c->socket)),
        "[%s] Engine.IO 4 socket id %s (conn %s)", transport, sid, sio_socket_conn_id(c->socket));
  char *hs = handshake(c->socket);
  CHECK(strstr(hs, "\"EIO\":\"4\""), "[%s] handshake %s", transport, hs);
  sio_string_free(hs);
  sio_buf b = {B2, sizeof B2};
  OK(sio_socket_emit(c->socket, S("v4"), S("[{\"_placeholder\":true,\"num\":0}]"), &b, 1));
  free(peer_wait(&p, 5000, "\"name\":\"v4\",\"args\":[{\"$bin\":\"beef\"}]"));
  peer_send(&p, "{\"cmd\":\"emit\",\"name\":\"up4\",\"args\":[{\"$bin\":\"04\"}]}");
  tev *m = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "up4", sid);
  CHECK(m->n_bufs == 1 && STREQ(tev_hex(m), "04"), "[%s] up4 %s", transport, m->args_json);
  tev_free(m);
  peer_send(&p, "{\"cmd\":\"disconnect\"}");
  tev_free(recorder_wait(&rec, 5000, SIO_EVENT_DISCONNECT, NULL, sid));
  peer_close(&p, 5000);
  tev_free(c);
}

int main(void) {
  t_begin("test_eio3", 150);
  recorder_init(&rec);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, recorder_cb, &rec, NULL, &rt));

  sio_server_options so;
  OK(sio_server_options_default(&so));
  CHECK(!so.allow_eio3, "allow_eio3 is on by default");
  so.allow_eio3 = true;
  sio_server *srv = NULL;
  OK(sio_server_new(rt, &so, &srv));
  OK(sio_server_namespace(srv, S("/admin"), true));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  char url[128], url_admin[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  snprintf(url_admin, sizeof url_admin, "http://127.0.0.1:%u/admin", port);

  /* 1. */
  v2_client(srv, url, "polling");
  v2_client(srv, url, "websocket");
  v2_client(srv, url, NULL);
  /* 2. */
  admin(url_admin);
  /* 3. Engine.IO 4 clients on the allow_eio3 server */
  v4_client(url, "websocket");
  v4_client(url, "polling");

  /* 3. a default server refuses Engine.IO 3 */
  sio_server_options off;
  OK(sio_server_options_default(&off));
  sio_server *plain = NULL;
  OK(sio_server_new(rt, &off, &plain));
  uint16_t pport = 0;
  OK(sio_server_listen(plain, S("127.0.0.1:0"), &pport));
  char purl[128];
  snprintf(purl, sizeof purl, "http://127.0.0.1:%u/", pport);
  v2_refused(plain, purl, "polling");
  v2_refused(plain, purl, "websocket");

  OK(sio_server_close(plain));
  sio_server_free(plain);
  OK(sio_server_close(srv));
  sio_server_free(srv);
  sio_runtime_free(rt);
  CHECK(rec.clone_failures == 0, "clone failures");
  recorder_destroy(&rec);
  t_pass();
  return 0;
}
