/* Server options that bound what a peer can make the server spend, checked over raw TCP
 * sockets (no Node peer): max_header_size (a 10 KB header gets 431), idle_timeout_ms (a
 * silent connection gets 408 and EOF), max_attachments (reaches the Socket.IO parser: a
 * packet over it closes the session with "parse error"), invalid values and contradictory
 * combinations (SIO_ERR_INVALID_ARGUMENT naming the field), CORS (none by default, `*`
 * with cors_any_origin, credentials only when asked), and the session cookie for sticky
 * load balancing (none by default; engine.io's with `cookie = "io"`; each attribute). */
#include "common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sys/socket.h>

static sio_runtime *rt;
static qwait q;

/* ------------------------------------------------------------------ raw HTTP */

static int tcp_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) FAIL("socket: %s", strerror(errno));
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) FAIL("connect to port %u: %s", port, strerror(errno));
  return fd;
}

static void send_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) FAIL("write: %s", strerror(errno));
    buf += w;
    n -= (size_t)w;
  }
}

/* Reads until the peer closes (EOF or reset), failing after `ms`. Returns what arrived,
 * NUL-terminated (caller frees); `*len` (may be NULL) gets its length. */
static char *read_to_close(int fd, int ms, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) FAIL("out of memory");
  long long end = t_now_ms() + tms(ms);
  for (;;) {
    long long left = end - t_now_ms();
    if (left <= 0) FAIL("connection still open after %d ms; received `%.*s`", tms(ms), (int)n, buf);
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) FAIL("poll: %s", strerror(errno));
    if (r == 0) continue;
    if (n + 1024 > cap) {
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) FAIL("out of memory");
      buf = grown;
    }
    ssize_t got = read(fd, buf + n, cap - n - 1);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0 || (got < 0 && errno == ECONNRESET)) break;
    if (got < 0) FAIL("read: %s", strerror(errno));
    n += (size_t)got;
  }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* One request on its own connection (`Connection: close`); returns the whole response. */
static char *http(uint16_t port, const char *method, const char *target, const char *headers, const char *body,
                  size_t body_len) {
  static char head[16 * 1024];
  int n = snprintf(head, sizeof head,
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
                   method, target, port, headers ? headers : "", body_len);
  CHECK(n > 0 && (size_t)n < sizeof head, "request head too long");
  int fd = tcp_connect(port);
  send_all(fd, head, (size_t)n);
  if (body_len) send_all(fd, body, body_len);
  char *res = read_to_close(fd, 10000, NULL);
  close(fd);
  return res;
}

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* The value of response header `name` (case-insensitive, copied into `out`), or 0. */
static int header(const char *res, const char *name, char *out, size_t out_n) {
  const char *end = strstr(res, "\r\n\r\n");
  CHECK(end != NULL, "no end of headers in `%s`", res);
  size_t nlen = strlen(name);
  for (const char *line = strstr(res, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
    const char *l = line + 2;
    size_t i = 0;
    while (i < nlen && l[i] && tolower((unsigned char)l[i]) == tolower((unsigned char)name[i])) i++;
    if (i == nlen && l[i] == ':') {
      l += nlen + 1;
      while (*l == ' ') l++;
      const char *e = strstr(l, "\r\n");
      size_t vlen = (size_t)(e - l);
      CHECK(vlen < out_n, "header %s too long", name);
      memcpy(out, l, vlen);
      out[vlen] = '\0';
      return 1;
    }
  }
  return 0;
}

static const char *body_of(const char *res) {
  const char *b = strstr(res, "\r\n\r\n");
  CHECK(b != NULL, "no end of headers in `%s`", res);
  return b + 4;
}

#define HANDSHAKE "/socket.io/?EIO=4&transport=polling"

static sio_server *start(const sio_server_options *o, uint16_t *port) {
  sio_server *srv = NULL;
  OK(sio_server_new(rt, o, &srv));
  OK(sio_server_listen(srv, S("127.0.0.1:0"), port));
  return srv;
}

static void stop(sio_server *srv) {
  OK(sio_server_close(srv));
  sio_server_free(srv);
}

/* ------------------------------------------------------------------ (a) max_header_size */

static void header_size(const sio_server_options *defaults) {
  sio_server_options o = *defaults;
  o.max_header_size = 8192;
  uint16_t port;
  sio_server *srv = start(&o, &port);

  static char big[10 * 1024 + 64];
  memcpy(big, "X-Big: ", 7);
  memset(big + 7, 'a', 10 * 1024);
  memcpy(big + 7 + 10 * 1024, "\r\n", 3);
  char *res = http(port, "GET", HANDSHAKE, big, NULL, 0);
  CHECK(starts_with(res, "HTTP/1.1 431"), "10 KB header over an 8192 limit: `%.80s`", res);
  free(res);

  /* a 4 KB header is within the limit: the handshake goes through */
  big[7 + 4 * 1024] = '\0';
  strcat(big, "\r\n");
  res = http(port, "GET", HANDSHAKE, big, NULL, 0);
  CHECK(starts_with(res, "HTTP/1.1 200") && starts_with(body_of(res), "0{\"sid\":"), "4 KB header: `%.200s`", res);
  free(res);
  stop(srv);
}

/* ------------------------------------------------------------------ (b) idle_timeout_ms */

static void idle_timeout(const sio_server_options *defaults) {
  sio_server_options o = *defaults;
  o.idle_timeout_ms = 300;
  uint16_t port;
  sio_server *srv = start(&o, &port);

  long long t0 = t_now_ms();
  int fd = tcp_connect(port);
  char *res = read_to_close(fd, 10000, NULL); /* sends nothing: 408, then EOF */
  long long waited = t_now_ms() - t0;
  close(fd);
  CHECK(starts_with(res, "HTTP/1.1 408"), "silent connection got `%.80s`", res);
  CHECK(waited >= 250, "408 after %lld ms, before the 300 ms idle timeout", waited);
  free(res);

  /* a connection that speaks in time is served as usual */
  res = http(port, "GET", HANDSHAKE, NULL, NULL, 0);
  CHECK(starts_with(res, "HTTP/1.1 200"), "handshake: `%.80s`", res);
  free(res);
  stop(srv);
}

/* ------------------------------------------------------------------ max_attachments */

static void attachments(const sio_server_options *defaults) {
  sio_server_options o = *defaults;
  o.max_attachments = 2;
  uint16_t port;
  sio_server *srv = start(&o, &port);
  uint64_t id = sio_server_id(srv);

  char *res = http(port, "GET", HANDSHAKE, NULL, NULL, 0);
  CHECK(starts_with(res, "HTTP/1.1 200"), "handshake: `%.80s`", res);
  char sid[64], target[160];
  json_str(body_of(res), "sid", sid, sizeof sid);
  free(res);
  snprintf(target, sizeof target, "%s&sid=%s", HANDSHAKE, sid);
  res = http(port, "POST", target, NULL, S("40"));
  CHECK(starts_with(res, "HTTP/1.1 200"), "CONNECT: `%.80s`", res);
  free(res);
  sio_event *ev = q_wait(&q, 10000, SIO_EVENT_CONNECTION, id, NULL);
  sio_socket *s = NULL;
  OK(sio_socket_clone(ev->socket, &s));
  sio_event_free(ev);

  /* two attachments (base64 records of the polling payload): within the limit */
  static const char two[] =
      "452-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]\x1e"
      "bAQI=\x1e"
      "bAwQ=";
  res = http(port, "POST", target, NULL, S(two));
  CHECK(starts_with(res, "HTTP/1.1 200"), "POST of two attachments: `%.80s`", res);
  free(res);
  ev = q_wait(&q, 10000, SIO_EVENT_MESSAGE, id, "message");
  CHECK(ev->n_bufs == 2 && ev->bufs[0].len == 2 && ev->bufs[1].len == 2, "%zu buffers", ev->n_bufs);
  sio_event_free(ev);

  /* three declared (the default of 10 would take them): the session closes */
  static const char three[] =
      "453-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1},"
      "{\"_placeholder\":true,\"num\":2}]";
  free(http(port, "POST", target, NULL, S(three)));
  ev = q_wait(&q, 10000, SIO_EVENT_DISCONNECT, id, NULL);
  CHECK(STREQ(sio_socket_id(ev->socket), sio_socket_id(s)), "DISCONNECT of another socket");
  CHECK(ev->reason == SIO_REASON_PARSE_ERROR, "reason `%s`, expected `parse error`",
        sio_disconnect_reason_str(ev->reason));
  sio_event_free(ev);
  sio_socket_free(s);
  stop(srv);
}

/* ------------------------------------------------------------------ (c) refused options */

static void expect_refused(const sio_server_options *o, const char *field) {
  sio_server *srv = (sio_server *)0x1;
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_new(rt, o, &srv));
  CHECK(srv == (sio_server *)0x1, "sio_server_new wrote *out on failure");
  char want[128];
  snprintf(want, sizeof want, "option \"%s\"", field);
  CHECK(strstr(sio_last_error(), want) != NULL, "last error `%s` does not name %s", sio_last_error(), field);
}

static void refused(const sio_server_options *d) {
  sio_server_options o = *d;
  o.cors_credentials = true; /* without an origin */
  expect_refused(&o, "cors_credentials");
  CHECK(strstr(sio_last_error(), "needs cors_any_origin, cors_origins or cors_reflect_origin"),
        "last error: `%s`", sio_last_error());

  o = *d;
  o.cors_any_origin = true;
  o.cors_origins = "http://a.test";
  expect_refused(&o, "cors_any_origin");
  o = *d;
  o.cors_origins = " , ";
  expect_refused(&o, "cors_origins");
  o = *d;
  o.recovery_skip_middlewares = false; /* without recovery */
  expect_refused(&o, "recovery_skip_middlewares");
  CHECK(strstr(sio_last_error(), "needs recovery"), "last error: `%s`", sio_last_error());
  o = *d;
  o.recovery_max_disconnection_ms = 1000;
  expect_refused(&o, "recovery_max_disconnection_ms");
  o = *d;
  o.ping_interval_ms = 0;
  expect_refused(&o, "ping_interval_ms");
  o = *d;
  o.idle_timeout_ms = 0;
  expect_refused(&o, "idle_timeout_ms");
  o = *d;
  o.max_header_size = 100;
  expect_refused(&o, "max_header_size");
  o = *d;
  o.max_attachments = 0;
  expect_refused(&o, "max_attachments");
  o = *d;
  o.transports = SIO_TRANSPORT_POLLING | 8;
  expect_refused(&o, "transports");
  o = *d;
  o.path = "no-slash";
  expect_refused(&o, "path");

  /* fields documented with "0: the core's default", and recovery settings with recovery */
  o = *d;
  o.max_connections = 0;
  o.max_buffered_bytes = 0;
  o.recovery = true;
  o.recovery_skip_middlewares = false;
  o.recovery_max_disconnection_ms = 1000;
  sio_server *srv = NULL;
  OK(sio_server_new(rt, &o, &srv));
  sio_server_free(srv);
}

/* ------------------------------------------------------------------ (d) CORS */

static void cors_case(const sio_server_options *o, const char *origin, const char *want_acao, const char *want_acac) {
  uint16_t port;
  sio_server *srv = start(o, &port);
  char origin_header[128], acao[256], acac[64];
  snprintf(origin_header, sizeof origin_header, "Origin: %s\r\n", origin);
  char *res = http(port, "GET", HANDSHAKE, origin_header, NULL, 0);
  CHECK(starts_with(res, "HTTP/1.1 200"), "handshake: `%.80s`", res);
  int has_acao = header(res, "Access-Control-Allow-Origin", acao, sizeof acao);
  if (want_acao)
    CHECK(has_acao && STREQ(acao, want_acao), "Access-Control-Allow-Origin `%s`, expected `%s`",
          has_acao ? acao : "(none)", want_acao);
  else
    CHECK(!has_acao, "Access-Control-Allow-Origin `%s` sent, expected none", acao);
  int has_acac = header(res, "Access-Control-Allow-Credentials", acac, sizeof acac);
  if (want_acac)
    CHECK(has_acac && STREQ(acac, want_acac), "Access-Control-Allow-Credentials `%s`", has_acac ? acac : "(none)");
  else
    CHECK(!has_acac, "Access-Control-Allow-Credentials `%s` sent, expected none", acac);
  free(res);
  stop(srv);
}

static void cors(const sio_server_options *d) {
  sio_server_options o = *d;
  cors_case(&o, "http://a.test", NULL, NULL); /* the reference default: no CORS headers */
  o.cors_any_origin = true;
  cors_case(&o, "http://a.test", "*", NULL);
  o.cors_credentials = true; /* still a literal `*`, as the `cors` package */
  cors_case(&o, "http://a.test", "*", "true");
  o = *d;
  o.cors_origins = "http://a.test, http://b.test";
  cors_case(&o, "http://b.test", "http://b.test", NULL); /* credentials are off by default */
  o.cors_credentials = true;
  cors_case(&o, "http://b.test", "http://b.test", "true");
  cors_case(&o, "http://evil.test", NULL, NULL);
  o = *d;
  o.cors_reflect_origin = true;
  cors_case(&o, "http://any.test", "http://any.test", NULL);
}

/* ------------------------------------------------------------------ (e) session cookie */

/* The Set-Cookie of a handshake with `o` (into `out`), or 0; `sid` gets the session id. */
static int handshake_cookie(const sio_server_options *o, char *out, size_t out_n, char *sid, size_t sid_n) {
  uint16_t port;
  sio_server *srv = start(o, &port);
  char *res = http(port, "GET", HANDSHAKE, NULL, NULL, 0);
  CHECK(starts_with(res, "HTTP/1.1 200"), "handshake: `%.80s`", res);
  int has = header(res, "Set-Cookie", out, out_n);
  const char *s = strstr(body_of(res), "\"sid\":\"");
  CHECK(s != NULL, "no sid in `%s`", body_of(res));
  s += 7;
  size_t n = strcspn(s, "\"");
  CHECK(n < sid_n, "sid too long");
  memcpy(sid, s, n);
  sid[n] = '\0';
  free(res);
  stop(srv);
  return has;
}

static void cookie(const sio_server_options *d) {
  char got[512], sid[64], want[512];
  sio_server_options o = *d;
  CHECK(!handshake_cookie(&o, got, sizeof got, sid, sizeof sid), "a cookie by default: `%s`", got);
  o.cookie = "io";
  CHECK(handshake_cookie(&o, got, sizeof got, sid, sizeof sid), "no Set-Cookie with cookie = \"io\"");
  snprintf(want, sizeof want, "io=%s; Path=/; HttpOnly; SameSite=Lax", sid);
  CHECK(STREQ(got, want), "Set-Cookie `%s`, expected `%s`", got, want);
  o.cookie = "sticky";
  o.cookie_path = "";
  o.cookie_same_site = "strict";
  o.cookie_http_only = false;
  o.cookie_secure = true;
  o.cookie_domain = "example.com";
  o.cookie_max_age_ms = 3600 * 1000;
  CHECK(handshake_cookie(&o, got, sizeof got, sid, sizeof sid), "no Set-Cookie");
  snprintf(want, sizeof want, "sticky=%s; Domain=example.com; Max-Age=3600; Secure; SameSite=Strict", sid);
  CHECK(STREQ(got, want), "Set-Cookie `%s`, expected `%s`", got, want);

  o = *d;
  o.cookie_path = "/"; /* without cookie */
  expect_refused(&o, "cookie_path");
  CHECK(strstr(sio_last_error(), "needs cookie"), "last error: `%s`", sio_last_error());
  o = *d;
  o.cookie = "io";
  o.cookie_same_site = "none"; /* without cookie_secure */
  expect_refused(&o, "cookie_same_site");
  o = *d;
  o.cookie = "bad name";
  expect_refused(&o, "cookie");
}

int main(void) {
  t_begin("test_limits", 90);
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;
  sio_server_options d;
  OK(sio_server_options_default(&d));
  CHECK(d.max_header_size == 16384 && d.headers_timeout_ms == 30000 && d.idle_timeout_ms == 30000 &&
            d.upgrade_timeout_ms == 10000 && d.max_attachments == 10 && d.max_buffered_frames == 8192 &&
            d.max_buffered_bytes == 0 && d.max_connections == 0 && d.allow_upgrades && !d.secure &&
            !d.cors_any_origin && d.cors_origins == NULL && !d.cors_reflect_origin && !d.cors_credentials &&
            d.recovery_skip_middlewares && d.cookie == NULL && d.cookie_http_only && !d.cookie_secure &&
            d.cookie_max_age_ms == 0,
        "server defaults differ from the documented ones");

  refused(&d);
  header_size(&d);
  idle_timeout(&d);
  attachments(&d);
  cors(&d);
  cookie(&d);

  q_drop(&q);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
