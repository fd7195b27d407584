/* TLS on the server's own port: `tls_cert` / `tls_key` of sio_server_options, as PEM file
 * paths and as PEM text. A test CA and a server certificate it signs are made at test time
 * (peers/tls-certs.cjs, the npm `selfsigned` package). Checked:
 * - the libsio client trusting the CA (`ca_pem`) connects over https (polling, then the
 *   upgrade to wss), the server's handshake says "secure":true, an emit is acked;
 * - the official socket.io-client (`ca`) connects over https and over wss alone;
 * - a certificate without its key, invalid PEM, an unreadable file and a key of another
 *   certificate are SIO_ERR_INVALID_ARGUMENT naming the field, and write no server. */
#include "common.h"

#include <sys/stat.h>

static const char *const CLIENT = "ffi/tests/c/peers/client.cjs";
static const char *const CERTS = "ffi/tests/c/peers/tls-certs.cjs";

static qwait q;
static char dir[512], ca_path[600], cert_path[600], key_path[600];

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL, "open %s: %s", path, strerror(errno));
  static char buf[16384];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  return t_strndup(buf, n);
}

static void expect_refused(const sio_server_options *o, const char *field, const char *says) {
  sio_server *srv = (sio_server *)0x1;
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_new(q.rt, o, &srv));
  CHECK(srv == (sio_server *)0x1, "sio_server_new wrote *out on failure");
  char want[128];
  snprintf(want, sizeof want, "option \"%s\"", field);
  CHECK(strstr(sio_last_error(), want) != NULL && strstr(sio_last_error(), says) != NULL,
        "last error `%s` does not name %s with `%s`", sio_last_error(), field, says);
}

static void refused(void) {
  sio_server_options o;
  OK(sio_server_options_default(&o));
  o.tls_cert = cert_path;
  expect_refused(&o, "tls_cert", "needs tls_key");
  o.tls_key = "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n";
  expect_refused(&o, "tls_key", "invalid private key");
  o.tls_key = "/nonexistent/sio/key.pem";
  expect_refused(&o, "tls_key", "cannot read /nonexistent/sio/key.pem");
  o.tls_key = key_path;
  o.tls_cert = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
  expect_refused(&o, "tls_cert", "invalid certificate");
  o.tls_cert = ca_path; /* the CA's certificate with the server's key */
  expect_refused(&o, "tls_key", "does not match");
}

/* Waits for the next CONNECTION of `srv` and checks that its handshake is secure. */
static void expect_secure_connection(uint64_t srv) {
  sio_event *ev = q_wait(&q, 15000, SIO_EVENT_CONNECTION, srv, NULL);
  char *hs = NULL;
  OK(sio_socket_handshake_json(ev->socket, &hs, NULL));
  CHECK(strstr(hs, "\"secure\":true") != NULL, "handshake %s", hs);
  sio_string_free(hs);
  sio_event_free(ev);
}

/* The server answers `hello` with ["secure", ...args]. */
static void answer_hello(uint64_t srv, const char *want_args) {
  sio_event *ev = q_wait(&q, 5000, SIO_EVENT_MESSAGE, srv, "hello");
  CHECK(STREQ(ev->args_json, want_args) && ev->ack != NULL, "server got %s", ev->args_json);
  OK(sio_ack_send(ev->ack, S("[\"secure\"]"), NULL, 0));
  sio_event_free(ev);
}

static void libsio_client(uint16_t port, uint64_t srv, uint32_t transports, const char *ca) {
  sio_client_options co;
  OK(sio_client_options_default(&co));
  co.ca_pem = ca;
  co.transports = transports;
  co.reconnection = false;
  char url[64];
  snprintf(url, sizeof url, "https://localhost:%u/", port);
  sio_client *cl = NULL;
  OK(sio_client_new(q.rt, SZ(url), &co, &cl));
  expect_secure_connection(srv);
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_CLIENT_CONNECT, sio_client_id(cl), NULL));
  ackrec a;
  ackrec_init(&a);
  OK(sio_client_emit_with_ack(cl, S("hello"), S("[\"libsio\"]"), NULL, 0, 5000, ackrec_cb, &a));
  answer_hello(srv, "[\"libsio\"]");
  ackrec_wait(&a, 5000, "hello");
  CHECK(a.outcome == SIO_ACK_ANSWERED && STREQ(a.args_json, "[\"secure\"]"), "ack %d %s", (int)a.outcome,
        a.args_json);
  ackrec_destroy(&a);
  sio_client_free(cl);
}

static void official_client(uint16_t port, uint64_t srv, const char *transports_json) {
  char url[64], opts[1024];
  snprintf(url, sizeof url, "https://127.0.0.1:%u", port);
  snprintf(opts, sizeof opts, "{\"caFile\":\"%s\",\"transports\":%s,\"reconnection\":false}", ca_path,
           transports_json);
  peer p;
  peer_spawn(&p, "official", CLIENT, url, opts, NULL);
  free(peer_wait(&p, 15000, "\"ev\":\"connect\""));
  expect_secure_connection(srv);
  peer_send(&p, "{\"cmd\":\"emit\",\"name\":\"hello\",\"args\":[\"official\"],\"seq\":1}");
  answer_hello(srv, "[\"official\"]");
  free(peer_wait(&p, 5000, "\"ev\":\"ack\",\"seq\":1,\"args\":[\"secure\"]"));
  peer_close(&p, 5000);
}

static uint16_t tls_server(const char *cert, const char *key, sio_server **out) {
  sio_server_options o;
  OK(sio_server_options_default(&o));
  o.tls_cert = cert;
  o.tls_key = key;
  OK(sio_server_new(q.rt, &o, out));
  uint16_t port = 0;
  OK(sio_server_listen(*out, S("127.0.0.1:0"), &port));
  return port;
}

int main(void) {
  t_begin("test_tls", 120);
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/sio-c-tls-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
  snprintf(ca_path, sizeof ca_path, "%s/ca.pem", dir);
  snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
  snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
  peer certs;
  peer_spawn(&certs, "certs", CERTS, dir, NULL);
  free(peer_wait(&certs, 30000, "\"ev\":\"ready\""));
  peer_close(&certs, 5000);
  char *ca = read_file(ca_path);

  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;
  refused();

  /* PEM file paths. */
  sio_server *srv = NULL;
  uint16_t port = tls_server(cert_path, key_path, &srv);
  uint64_t id = sio_server_id(srv);
  libsio_client(port, id, SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET, ca);
  libsio_client(port, id, SIO_TRANSPORT_WEBSOCKET, ca);
  official_client(port, id, "[\"polling\",\"websocket\"]");
  official_client(port, id, "[\"websocket\"]");
  OK(sio_server_close(srv));
  sio_server_free(srv);
  q_drop(&q);

  /* PEM text. */
  char *cert = read_file(cert_path), *key = read_file(key_path);
  port = tls_server(cert, key, &srv);
  free(cert);
  free(key);
  libsio_client(port, sio_server_id(srv), SIO_TRANSPORT_POLLING, ca);
  OK(sio_server_close(srv));
  sio_server_free(srv);
  q_drop(&q);

  sio_runtime_free(rt);
  free(ca);
  unlink(ca_path);
  unlink(cert_path);
  unlink(key_path);
  rmdir(dir);
  t_pass();
  return 0;
}
