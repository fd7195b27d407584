/* WebSocket permessage-deflate in the C face: the `per_message_deflate` and
 * `per_message_deflate_threshold` fields of sio_server_options and sio_client_options.
 *
 * 1. A libsio server with per_message_deflate and a raw `ws` peer (which offers the
 *    extension): the 101 agrees to permessage-deflate, a large event takes a fraction of
 *    its size on the wire, a small one does not shrink, SIO_EMIT_NO_COMPRESS (socket.io's
 *    compress(false)) sends as it is, to a socket and to everyone. A default server agrees to nothing.
 * 2. The C client (per_message_deflate on by default, and off) against the official
 *    socket.io server with perMessageDeflate {threshold: 0} (every message it sends is
 *    compressed): a large JSON + binary echo with an ack comes back whole. */
#include "common.h"

static recorder rec;
static const char *const PEER = "ffi/tests/c/peers/deflate-ws.cjs";
static const char *const SERVER = "tests/interop/reference-server.js";

/* A JSON string argument of `n` repetitive bytes: `["xxxx..."]`. */
static char *big_args(size_t n) {
  char *s = malloc(n + 5);
  CHECK(s != NULL, "malloc");
  s[0] = '[';
  s[1] = '"';
  for (size_t i = 0; i < n; i++) s[2 + i] = "deflate "[i % 8];
  s[n + 2] = '"';
  s[n + 3] = ']';
  s[n + 4] = '\0';
  return s;
}

static long bytes_of(peer *p, const char *name) {
  char needle[64];
  snprintf(needle, sizeof needle, "\"name\":\"%s\"", name);
  char *line = peer_wait(p, 5000, "\"ev\":\"msg\"", needle);
  const char *at = strstr(line, "\"bytes\":");
  long n = at ? atol(at + 8) : -1;
  free(line);
  return n;
}

/* One server, one raw peer: what the 101 agreed and the wire size of a large and a small event. */
static void server_case(sio_runtime *rt, bool deflate) {
  sio_server_options so;
  OK(sio_server_options_default(&so));
  CHECK(!so.per_message_deflate && so.per_message_deflate_threshold == 1024, "server defaults");
  so.per_message_deflate = deflate;
  sio_server *srv = NULL;
  OK(sio_server_new(rt, &so, &srv));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  char sport[16];
  snprintf(sport, sizeof sport, "%u", port);
  peer p;
  peer_spawn(&p, "ws", PEER, sport, NULL);
  char *open = peer_wait(&p, 10000, "\"ev\":\"open\"", NULL);
  const char *want = deflate ? "\"extensions\":\"permessage-deflate\"" : "\"extensions\":\"\"";
  CHECK(strstr(open, want) != NULL, "deflate %d: %s", deflate, open);
  free(open);
  tev *go = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "go", NULL);
  CHECK(STREQ(go->args_json, "[\"big\"]"), "first request %s", go->args_json);
  const size_t n = 20000;
  char *args = big_args(n);
  OK(sio_socket_emit(go->socket, S("big"), args, strlen(args), NULL, 0));
  long big = bytes_of(&p, "big");
  tev_free(go);
  go = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "go", NULL);
  CHECK(STREQ(go->args_json, "[\"small\"]"), "second request %s", go->args_json);
  OK(sio_socket_emit(go->socket, S("small"), S("[1]"), NULL, 0));
  long small = bytes_of(&p, "small");
  tev_free(go);
  /* compress(false) per emit: SIO_EMIT_NO_COMPRESS, to one socket and to everyone. */
  go = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "go", NULL);
  CHECK(STREQ(go->args_json, "[\"plain\"]"), "third request %s", go->args_json);
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_socket_emit_flags(go->socket, 4, S("plain"), args, strlen(args), NULL, 0));
  OK(sio_socket_emit_flags(go->socket, SIO_EMIT_NO_COMPRESS, S("plain"), args, strlen(args), NULL, 0));
  long plain = bytes_of(&p, "plain");
  tev_free(go);
  go = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "go", NULL);
  CHECK(STREQ(go->args_json, "[\"bcast\"]"), "fourth request %s", go->args_json);
  OK(sio_server_emit_flags(srv, SIO_EMIT_NO_COMPRESS, NULL, 0, NULL, 0, NULL, 0, S("bcast"), args, strlen(args), NULL, 0));
  long bcast = bytes_of(&p, "bcast");
  tev_free(go);
  go = recorder_wait(&rec, 5000, SIO_EVENT_MESSAGE, "go", NULL);
  CHECK(STREQ(go->args_json, "[\"bcastz\"]"), "fifth request %s", go->args_json);
  OK(sio_server_emit_flags(srv, 0, NULL, 0, NULL, 0, NULL, 0, S("bcastz"), args, strlen(args), NULL, 0));
  long bcastz = bytes_of(&p, "bcastz");
  tev_free(go);
  CHECK(plain > (long)n && bcast > (long)n, "SIO_EMIT_NO_COMPRESS: %ld and %ld bytes for %zu", plain, bcast, n);
  if (deflate)
    CHECK(bcastz > 0 && bcastz < (long)n / 5, "a broadcast compressed: %ld bytes for %zu", bcastz, n);
  if (deflate)
    CHECK(big > 0 && big < (long)n / 5, "a large event compressed: %ld bytes for %zu", big, n);
  else
    CHECK(big > (long)n, "a large event as it is: %ld bytes for %zu", big, n);
  CHECK(small >= 10, "a small event as it is: %ld bytes", small);
  free(args);
  peer_close(&p, 5000);
  OK(sio_server_close(srv));
  sio_server_free(srv);
}

/* The C client against socket.io with perMessageDeflate: an echo of large JSON and binary. */
static void client_case(sio_runtime *rt, const char *url, bool deflate) {
  sio_client_options o;
  OK(sio_client_options_default(&o));
  CHECK(o.per_message_deflate && o.per_message_deflate_threshold == 1024, "client defaults");
  o.per_message_deflate = deflate;
  o.transports = SIO_TRANSPORT_WEBSOCKET;
  sio_client *c = NULL;
  OK(sio_client_new(rt, SZ(url), &o, &c));
  uint64_t id = sio_client_id(c);
  tev *e = recorder_wait_ex(&rec, 15000, SIO_EVENT_CLIENT_CONNECT, id, NULL, NULL);
  tev_free(e);
  static uint8_t blob[50000];
  for (size_t i = 0; i < sizeof blob; i++) blob[i] = (uint8_t)(i % 13);
  sio_buf b = {blob, sizeof blob};
  char *text = big_args(30000);
  /* ["<30000 bytes>", {"_placeholder":true,"num":0}] */
  size_t len = strlen(text);
  char *args = malloc(len + 64);
  CHECK(args != NULL, "malloc");
  memcpy(args, text, len - 1);
  strcpy(args + len - 1, ",{\"_placeholder\":true,\"num\":0}]");
  ackrec echo;
  ackrec_init(&echo);
  OK(sio_client_emit_with_ack(c, S("echo"), args, strlen(args), &b, 1, 10000, ackrec_cb, &echo));
  ackrec_wait(&echo, 10000, "echo");
  CHECK(echo.outcome == SIO_ACK_ANSWERED, "deflate %d: echo outcome %d", deflate, (int)echo.outcome);
  CHECK(STREQ(echo.args_json, args), "deflate %d: the echo's JSON came back whole", deflate);
  CHECK(echo.n_bufs == 1 && memcmp(echo.buf0, blob, echo.buf0_len) == 0, "deflate %d: the ack's buffer", deflate);
  /* the server also emits `echo` back: its buffer, whole */
  tev *ev = recorder_wait_ex(&rec, 5000, SIO_EVENT_CLIENT_MESSAGE, id, "echo", NULL);
  CHECK(ev->n_bufs == 1 && ev->buf_lens[0] == sizeof blob && memcmp(ev->bufs[0], blob, sizeof blob) == 0,
        "deflate %d: the echo's buffer came back whole", deflate);
  CHECK(STREQ(ev->args_json, args), "deflate %d: the echo event's JSON", deflate);
  tev_free(ev);
  ackrec_destroy(&echo);
  free(args);
  free(text);
  OK(sio_client_disconnect(c));
  sio_client_free(c);
}

int main(void) {
  t_begin("test_deflate", 120);
  recorder_init(&rec);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, recorder_cb, &rec, NULL, &rt));

  /* 1. */
  server_case(rt, true);
  server_case(rt, false);

  /* 2. */
  peer srv;
  peer_spawn(&srv, "server", SERVER, "--port", "0", "--per-message-deflate=0", NULL);
  char *line = peer_wait(&srv, 15000, "listening on ", NULL);
  unsigned port = (unsigned)atoi(strstr(line, "listening on ") + strlen("listening on "));
  free(line);
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  client_case(rt, url, true);
  client_case(rt, url, false);
  peer_kill(&srv);

  sio_runtime_free(rt);
  CHECK(rec.clone_failures == 0, "clone failures");
  recorder_destroy(&rec);
  t_pass();
  return 0;
}
