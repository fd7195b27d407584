/* The versioned ABI: option structs that grow (struct_size) and the library's version.
 *
 * This file is an "old program": it declares its own copies of sio_server_options and
 * sio_client_options as they were in their first layout (sio 0.1.0, the first with
 * struct_size), and of every later published layout (server_options_v2: TLS and the
 * session cookie), and never changes them. Every later sio.h only appends fields, so against
 * a newer libsio this test is a program built against an older header, and must keep
 * working: the library reads only `struct_size` bytes of its structs (each is allocated
 * with exactly that size, so ASan and Valgrind see any access beyond) and takes its own
 * defaults for the fields beyond. Checked here:
 * - the first layout is still a prefix of today's structs (static asserts on every field);
 * - structs filled by hand, never touched by *_options_default, run a server and a client
 *   that exchange an event with an ack; the fields the program set reach the server's
 *   handshake (pingInterval, maxPayload) and the client's CONNECT (auth);
 * - a server from a struct of the second layout (exactly its size) takes the fields it set
 *   (its cookie is in the handshake) and the defaults beyond (the default parser: a
 *   default client connects);
 * - *_options_init(out, its size) writes that many bytes and no more;
 * - struct_size below the first layout, or above the library's (a struct of a newer
 *   program), is SIO_ERR_INVALID_ARGUMENT with the reason, and writes nothing; NULL options
 *   still mean the defaults;
 * - sio_version() / sio_version_number() match SIO_VERSION_* of the header. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ the first layouts */

typedef struct {
  size_t struct_size;
  const char *path;
  uint32_t ping_interval_ms;
  uint32_t ping_timeout_ms;
  uint32_t connect_timeout_ms;
  uint64_t max_http_buffer_size;
  uint32_t transports;
  bool cors_any_origin;
  const char *cors_origins;
  bool recovery;
  uint32_t recovery_max_disconnection_ms;
  const char *cluster_url;
  uint32_t upgrade_timeout_ms;
  bool allow_upgrades;
  bool cors_reflect_origin;
  bool cors_credentials;
  bool recovery_skip_middlewares;
  bool secure;
  uint64_t max_buffered_bytes;
  uint32_t max_buffered_frames;
  uint64_t max_header_size;
  uint32_t headers_timeout_ms;
  uint32_t idle_timeout_ms;
  uint32_t max_connections;
  uint32_t max_attachments;
} server_options_v1;

/* The second layout: + TLS and the session cookie. */
typedef struct {
  server_options_v1 v1;
  const char *tls_cert;
  const char *tls_key;
  const char *cookie;
  const char *cookie_path;
  const char *cookie_same_site;
  const char *cookie_domain;
  bool cookie_http_only;
  bool cookie_secure;
  uint64_t cookie_max_age_ms;
} server_options_v2;

typedef struct {
  size_t struct_size;
  const char *path;
  uint32_t transports;
  bool upgrade;
  bool reconnection;
  uint32_t reconnection_attempts;
  uint32_t reconnection_delay_ms;
  uint32_t reconnection_delay_max_ms;
  double randomization_factor;
  uint32_t timeout_ms;
  const char *auth_json;
  const char *ca_pem;
  bool reject_unauthorized;
  const char *query;
  const char *extra_headers_json;
} client_options_v1;

#define SAME_FIELD(v1, cur, f)                                                      \
  _Static_assert(offsetof(v1, f) == offsetof(cur, f) && sizeof(((v1 *)0)->f) == sizeof(((cur *)0)->f), \
                 #cur "." #f " moved: fields may only be appended")

SAME_FIELD(server_options_v1, sio_server_options, struct_size);
SAME_FIELD(server_options_v1, sio_server_options, path);
SAME_FIELD(server_options_v1, sio_server_options, ping_interval_ms);
SAME_FIELD(server_options_v1, sio_server_options, ping_timeout_ms);
SAME_FIELD(server_options_v1, sio_server_options, connect_timeout_ms);
SAME_FIELD(server_options_v1, sio_server_options, max_http_buffer_size);
SAME_FIELD(server_options_v1, sio_server_options, transports);
SAME_FIELD(server_options_v1, sio_server_options, cors_any_origin);
SAME_FIELD(server_options_v1, sio_server_options, cors_origins);
SAME_FIELD(server_options_v1, sio_server_options, recovery);
SAME_FIELD(server_options_v1, sio_server_options, recovery_max_disconnection_ms);
SAME_FIELD(server_options_v1, sio_server_options, cluster_url);
SAME_FIELD(server_options_v1, sio_server_options, upgrade_timeout_ms);
SAME_FIELD(server_options_v1, sio_server_options, allow_upgrades);
SAME_FIELD(server_options_v1, sio_server_options, cors_reflect_origin);
SAME_FIELD(server_options_v1, sio_server_options, cors_credentials);
SAME_FIELD(server_options_v1, sio_server_options, recovery_skip_middlewares);
SAME_FIELD(server_options_v1, sio_server_options, secure);
SAME_FIELD(server_options_v1, sio_server_options, max_buffered_bytes);
SAME_FIELD(server_options_v1, sio_server_options, max_buffered_frames);
SAME_FIELD(server_options_v1, sio_server_options, max_header_size);
SAME_FIELD(server_options_v1, sio_server_options, headers_timeout_ms);
SAME_FIELD(server_options_v1, sio_server_options, idle_timeout_ms);
SAME_FIELD(server_options_v1, sio_server_options, max_connections);
SAME_FIELD(server_options_v1, sio_server_options, max_attachments);
_Static_assert(sizeof(server_options_v1) <= sizeof(sio_server_options), "sio_server_options shrank");
SAME_FIELD(server_options_v2, sio_server_options, tls_cert);
SAME_FIELD(server_options_v2, sio_server_options, tls_key);
SAME_FIELD(server_options_v2, sio_server_options, cookie);
SAME_FIELD(server_options_v2, sio_server_options, cookie_path);
SAME_FIELD(server_options_v2, sio_server_options, cookie_same_site);
SAME_FIELD(server_options_v2, sio_server_options, cookie_domain);
SAME_FIELD(server_options_v2, sio_server_options, cookie_http_only);
SAME_FIELD(server_options_v2, sio_server_options, cookie_secure);
SAME_FIELD(server_options_v2, sio_server_options, cookie_max_age_ms);
_Static_assert(sizeof(server_options_v2) <= sizeof(sio_server_options), "sio_server_options shrank");
_Static_assert(sizeof(server_options_v2) == offsetof(server_options_v2, cookie_max_age_ms) + sizeof(uint64_t),
               "a published layout ends at its last field");

SAME_FIELD(client_options_v1, sio_client_options, struct_size);
SAME_FIELD(client_options_v1, sio_client_options, path);
SAME_FIELD(client_options_v1, sio_client_options, transports);
SAME_FIELD(client_options_v1, sio_client_options, upgrade);
SAME_FIELD(client_options_v1, sio_client_options, reconnection);
SAME_FIELD(client_options_v1, sio_client_options, reconnection_attempts);
SAME_FIELD(client_options_v1, sio_client_options, reconnection_delay_ms);
SAME_FIELD(client_options_v1, sio_client_options, reconnection_delay_max_ms);
SAME_FIELD(client_options_v1, sio_client_options, randomization_factor);
SAME_FIELD(client_options_v1, sio_client_options, timeout_ms);
SAME_FIELD(client_options_v1, sio_client_options, auth_json);
SAME_FIELD(client_options_v1, sio_client_options, ca_pem);
SAME_FIELD(client_options_v1, sio_client_options, reject_unauthorized);
SAME_FIELD(client_options_v1, sio_client_options, query);
SAME_FIELD(client_options_v1, sio_client_options, extra_headers_json);
_Static_assert(sizeof(client_options_v1) <= sizeof(sio_client_options), "sio_client_options shrank");

/* A program built against a newer header than the library: one more field. */
typedef struct {
  sio_server_options today;
  uint64_t from_the_future;
} server_options_newer;
typedef struct {
  sio_client_options today;
  uint64_t from_the_future;
} client_options_newer;

/* ------------------------------------------------------------------ helpers */

/* A heap block of exactly `n` bytes holding `src` (so any access beyond is caught). */
static void *exact_copy(const void *src, size_t n) {
  void *p = malloc(n);
  if (!p) FAIL("out of memory");
  memcpy(p, src, n);
  return p;
}

/* The response (headers and body) to the polling handshake `GET
 * /socket.io/?EIO=4&transport=polling`. */
static char *handshake_response(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0, "socket: %s", strerror(errno));
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
  char req[256];
  int n = snprintf(req, sizeof req,
                   "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n",
                   port);
  CHECK(write(fd, req, (size_t)n) == n, "write: %s", strerror(errno));
  static char res[8192];
  size_t got = 0;
  long long end = t_now_ms() + tms(10000);
  for (;;) {
    CHECK(t_now_ms() < end, "no complete handshake response: `%.*s`", (int)got, res);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t r = read(fd, res + got, sizeof res - 1 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  res[got] = '\0';
  return res;
}

/* The body of the polling handshake. */
static char *handshake(uint16_t port) {
  char *res = handshake_response(port);
  char *body = strstr(res, "\r\n\r\n");
  CHECK(body != NULL, "no HTTP response: `%s`", res);
  return body + 4;
}

static void expect_refused(const char *what, sio_status st, const char *reason) {
  CHECK(st == SIO_ERR_INVALID_ARGUMENT, "%s: status %d (%s), expected SIO_ERR_INVALID_ARGUMENT", what, (int)st,
        sio_status_str(st));
  CHECK(strstr(sio_last_error(), reason) != NULL, "%s: last error `%s` does not say `%s`", what, sio_last_error(),
        reason);
}

/* ------------------------------------------------------------------ tests */

static void version(void) {
  CHECK(sio_version() != NULL && STREQ(sio_version(), SIO_VERSION_STRING), "sio_version() %s, header %s",
        sio_version(), SIO_VERSION_STRING);
  char parts[64];
  snprintf(parts, sizeof parts, "%d.%d.%d", SIO_VERSION_MAJOR, SIO_VERSION_MINOR, SIO_VERSION_PATCH);
  CHECK(strncmp(sio_version(), parts, strlen(parts)) == 0, "sio_version() %s, SIO_VERSION_MAJOR.MINOR.PATCH %s",
        sio_version(), parts);
  CHECK(sio_version_number() == SIO_VERSION_NUMBER, "sio_version_number() %u, SIO_VERSION_NUMBER %d",
        sio_version_number(), SIO_VERSION_NUMBER);
  CHECK(SIO_VERSION_NUMBER == SIO_VERSION_MAJOR * 10000 + SIO_VERSION_MINOR * 100 + SIO_VERSION_PATCH, "number");
  printf("libsio %s (%u)\n", sio_version(), sio_version_number());
}

/* The size rule on *_options_init and *_options_default. */
static void init_sizes(void) {
  /* init with the old program's size: struct_size set, nothing written beyond. */
  unsigned char buf[sizeof(sio_server_options) + 64];
  memset(buf, 0xA5, sizeof buf);
  OK(sio_server_options_init((sio_server_options *)(void *)buf, sizeof(server_options_v1)));
  server_options_v1 s;
  memcpy(&s, buf, sizeof s);
  CHECK(s.struct_size == sizeof(server_options_v1) && s.ping_interval_ms == 25000 && s.max_attachments == 10 &&
            s.allow_upgrades && s.path == NULL,
        "server defaults: size %zu ping %u attachments %u", s.struct_size, s.ping_interval_ms, s.max_attachments);
  for (size_t i = sizeof(server_options_v1); i < sizeof buf; i++)
    CHECK(buf[i] == 0xA5, "sio_server_options_init wrote byte %zu beyond struct_size %zu", i, sizeof s);

  memset(buf, 0xA5, sizeof buf);
  OK(sio_server_options_init((sio_server_options *)(void *)buf, sizeof(server_options_v2)));
  server_options_v2 s2;
  memcpy(&s2, buf, sizeof s2);
  CHECK(s2.v1.struct_size == sizeof(server_options_v2) && s2.v1.ping_interval_ms == 25000 && s2.cookie == NULL &&
            s2.cookie_http_only && s2.cookie_max_age_ms == 0,
        "server v2 defaults: size %zu", s2.v1.struct_size);
  for (size_t i = sizeof(server_options_v2); i < sizeof buf; i++)
    CHECK(buf[i] == 0xA5, "sio_server_options_init wrote byte %zu beyond struct_size %zu", i, sizeof s2);

  unsigned char cbuf[sizeof(sio_client_options) + 64];
  memset(cbuf, 0xA5, sizeof cbuf);
  OK(sio_client_options_init((sio_client_options *)(void *)cbuf, sizeof(client_options_v1)));
  client_options_v1 c;
  memcpy(&c, cbuf, sizeof c);
  CHECK(c.struct_size == sizeof(client_options_v1) && c.reconnection_delay_ms == 1000 && c.randomization_factor == 0.5 &&
            c.reject_unauthorized && c.extra_headers_json == NULL,
        "client defaults");
  for (size_t i = sizeof(client_options_v1); i < sizeof cbuf; i++)
    CHECK(cbuf[i] == 0xA5, "sio_client_options_init wrote byte %zu beyond struct_size %zu", i, sizeof c);

  /* Sizes it does not know: refused, nothing written. */
  size_t bad[] = {0, sizeof(size_t), sizeof(server_options_v1) - 1, sizeof(sio_server_options) + 8};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(buf, 0xA5, sizeof buf);
    expect_refused("sio_server_options_init", sio_server_options_init((sio_server_options *)(void *)buf, bad[i]),
                   bad[i] > sizeof(sio_server_options) ? "newer sio.h" : "smaller than the oldest layout");
    for (size_t j = 0; j < sizeof buf; j++) CHECK(buf[j] == 0xA5, "a refused init wrote byte %zu", j);
  }
  size_t cbad[] = {0, sizeof(client_options_v1) - 1, sizeof(sio_client_options) + 8};
  for (size_t i = 0; i < sizeof cbad / sizeof cbad[0]; i++)
    expect_refused("sio_client_options_init", sio_client_options_init((sio_client_options *)(void *)cbuf, cbad[i]),
                   cbad[i] > sizeof(sio_client_options) ? "newer sio.h" : "smaller than the oldest layout");
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_options_init(NULL, sizeof(sio_server_options)));

  /* The header's macro passes this header's size; the function itself the library's. */
  sio_server_options o;
  memset(&o, 0, sizeof o);
  OK(sio_server_options_default(&o));
  CHECK(o.struct_size == sizeof(sio_server_options), "macro: struct_size %zu", o.struct_size);
  memset(&o, 0, sizeof o);
  OK((sio_server_options_default)(&o));
  CHECK(o.struct_size >= sizeof(server_options_v1) && o.ping_timeout_ms == 20000, "function: struct_size %zu",
        o.struct_size);
  sio_client_options co;
  OK(sio_client_options_default(&co));
  CHECK(co.struct_size == sizeof(sio_client_options), "client macro: struct_size %zu", co.struct_size);
}

/* sio_server_new / sio_client_new with struct_size out of range. */
static void new_sizes(sio_runtime *rt) {
  sio_server *srv = NULL;
  server_options_v1 s;
  memset(&s, 0, sizeof s);
  OK(sio_server_options_init((sio_server_options *)(void *)&s, sizeof s));
  size_t small[] = {0, sizeof(size_t), sizeof s - 1};
  for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
    s.struct_size = small[i];
    expect_refused("sio_server_new (small)", sio_server_new(rt, (const sio_server_options *)(void *)&s, &srv),
                   "smaller than the oldest layout");
    CHECK(srv == NULL, "out written on failure");
  }
  server_options_newer *newer = calloc(1, sizeof *newer);
  CHECK(newer != NULL, "out of memory");
  OK(sio_server_options_default(&newer->today));
  newer->today.struct_size = sizeof *newer;
  expect_refused("sio_server_new (newer)", sio_server_new(rt, &newer->today, &srv), "newer sio.h");
  free(newer);

  sio_client *cl = NULL;
  client_options_v1 c;
  OK(sio_client_options_init((sio_client_options *)(void *)&c, sizeof c));
  c.struct_size = sizeof c - 1;
  expect_refused("sio_client_new (small)",
                 sio_client_new(rt, S("http://127.0.0.1:1/"), (const sio_client_options *)(void *)&c, &cl),
                 "smaller than the oldest layout");
  client_options_newer *cnewer = calloc(1, sizeof *cnewer);
  CHECK(cnewer != NULL, "out of memory");
  OK(sio_client_options_default(&cnewer->today));
  cnewer->today.struct_size = sizeof *cnewer;
  expect_refused("sio_client_new (newer)", sio_client_new(rt, S("http://127.0.0.1:1/"), &cnewer->today, &cl),
                 "newer sio.h");
  free(cnewer);
  CHECK(cl == NULL, "out written on failure");
}

/* Old-layout structs filled by hand run a server and a client. */
static void old_program(sio_runtime *rt, qwait *q) {
  server_options_v1 s = {
      .struct_size = sizeof(server_options_v1),
      .path = NULL,
      .ping_interval_ms = 4321, /* not the default: seen in the handshake */
      .ping_timeout_ms = 20000,
      .connect_timeout_ms = 45000,
      .max_http_buffer_size = 123456, /* not the default: maxPayload */
      .transports = SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET,
      .cors_any_origin = false,
      .cors_origins = NULL,
      .recovery = false,
      .recovery_max_disconnection_ms = 120000,
      .cluster_url = NULL,
      .upgrade_timeout_ms = 10000,
      .allow_upgrades = true,
      .cors_reflect_origin = false,
      .cors_credentials = false,
      .recovery_skip_middlewares = true,
      .secure = false,
      .max_buffered_bytes = 0,
      .max_buffered_frames = 8192,
      .max_header_size = 16384,
      .headers_timeout_ms = 30000,
      .idle_timeout_ms = 30000,
      .max_connections = 0,
      .max_attachments = 10,
  };
  server_options_v1 *sp = exact_copy(&s, sizeof s);
  sio_server *srv = NULL;
  OK(sio_server_new(rt, (const sio_server_options *)(void *)sp, &srv));
  free(sp);
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  uint64_t sid_server = sio_server_id(srv);

  const char *hs = handshake(port);
  CHECK(strstr(hs, "\"pingInterval\":4321") && strstr(hs, "\"pingTimeout\":20000") &&
            strstr(hs, "\"maxPayload\":123456") && strstr(hs, "\"upgrades\":[\"websocket\"]"),
        "handshake `%s`", hs);

  client_options_v1 c = {
      .struct_size = sizeof(client_options_v1),
      .path = NULL,
      .transports = SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET,
      .upgrade = true,
      .reconnection = true,
      .reconnection_attempts = 0,
      .reconnection_delay_ms = 100,
      .reconnection_delay_max_ms = 5000,
      .randomization_factor = 0,
      .timeout_ms = 20000,
      .auth_json = "{\"layout\":1}",
      .ca_pem = NULL,
      .reject_unauthorized = true,
      .query = "from=v1",
      .extra_headers_json = NULL,
  };
  client_options_v1 *cp = exact_copy(&c, sizeof c);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(url), (const sio_client_options *)(void *)cp, &cl));
  free(cp);
  uint64_t cid = sio_client_id(cl);

  sio_event *ev = q_wait(q, 15000, SIO_EVENT_CONNECTION, sid_server, NULL);
  char *hsj = NULL;
  OK(sio_socket_handshake_json(ev->socket, &hsj, NULL));
  CHECK(strstr(hsj, "\"auth\":{\"layout\":1}") && strstr(hsj, "\"from\":\"v1\""), "handshake %s", hsj);
  sio_string_free(hsj);
  sio_event_free(ev);
  sio_event_free(q_wait(q, 5000, SIO_EVENT_CLIENT_CONNECT, cid, NULL));

  ackrec a;
  ackrec_init(&a);
  OK(sio_client_emit_with_ack(cl, S("hello"), S("[\"old layout\"]"), NULL, 0, 5000, ackrec_cb, &a));
  ev = q_wait(q, 5000, SIO_EVENT_MESSAGE, sid_server, "hello");
  CHECK(STREQ(ev->args_json, "[\"old layout\"]") && ev->ack != NULL, "server got %s", ev->args_json);
  OK(sio_ack_send(ev->ack, S("[\"welcome\"]"), NULL, 0));
  sio_event_free(ev);
  ackrec_wait(&a, 5000, "hello");
  CHECK(a.outcome == SIO_ACK_ANSWERED && STREQ(a.args_json, "[\"welcome\"]"), "ack %d %s", (int)a.outcome,
        a.args_json);
  ackrec_destroy(&a);

  sio_client_free(cl);
  OK(sio_server_close(srv));
  sio_server_free(srv);
  q_drop(q);
}

/* A struct of the second layout, exactly its size: its cookie reaches the handshake, and
 * the fields beyond it (the parser) take their defaults: a default client connects. */
static void second_layout(sio_runtime *rt, qwait *q) {
  server_options_v2 s;
  OK(sio_server_options_init((sio_server_options *)(void *)&s, sizeof s));
  s.cookie = "layout2";
  server_options_v2 *sp = exact_copy(&s, sizeof s);
  sio_server *srv = NULL;
  OK(sio_server_new(rt, (const sio_server_options *)(void *)sp, &srv));
  free(sp);
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  const char *res = handshake_response(port);
  CHECK(strstr(res, "Set-Cookie: layout2=") || strstr(res, "set-cookie: layout2="), "no cookie in `%s`", res);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(url), NULL, &cl));
  sio_event_free(q_wait(q, 15000, SIO_EVENT_CLIENT_CONNECT, sio_client_id(cl), NULL));
  sio_client_free(cl);
  OK(sio_server_close(srv));
  sio_server_free(srv);
  q_drop(q);
}

/* NULL options are still the defaults. */
static void null_options(sio_runtime *rt, qwait *q) {
  sio_server *srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  const char *hs = handshake(port);
  CHECK(strstr(hs, "\"pingInterval\":25000") && strstr(hs, "\"maxPayload\":1000000"), "handshake `%s`", hs);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(url), NULL, &cl));
  sio_event_free(q_wait(q, 15000, SIO_EVENT_CLIENT_CONNECT, sio_client_id(cl), NULL));
  sio_client_free(cl);
  OK(sio_server_close(srv));
  sio_server_free(srv);
  q_drop(q);
}

int main(void) {
  t_begin("test_abi_growth", 60);
  version();
  init_sizes();
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  qwait q = {.rt = rt};
  new_sizes(rt);
  old_program(rt, &q);
  second_layout(rt, &q);
  null_options(rt, &q);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
