/* Server and client options beyond the basics, C client and C server in one process:
 * per-packet middleware (a refused event never reaches the host), fetch_sockets with data,
 * CORS restricted to a list of origins, and the client's query and extra headers seen in
 * the server's handshake. */
#include "common.h"

static qwait q;
static int middleware_calls;
static pthread_mutex_t mw_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *refuse_forbidden(void *ud, const sio_socket *socket, const char *name, size_t name_len,
                                    const char *args_json, size_t args_json_len, const sio_buf *bufs, size_t n_bufs) {
  (void)ud; (void)args_json; (void)args_json_len; (void)bufs; (void)n_bufs;
  CHECK(sio_socket_id(socket) != NULL, "the middleware gets the socket");
  pthread_mutex_lock(&mw_lock);
  middleware_calls++;
  pthread_mutex_unlock(&mw_lock);
  if (name_len == 9 && memcmp(name, "forbidden", 9) == 0) return "unauthorized event";
  return NULL;
}

int main(void) {
  t_begin("test_extras", 60);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;
  sio_server_options so;
  OK(sio_server_options_default(&so));
  so.cors_origins = "http://a.test, http://b.test";
  sio_server *srv = NULL;
  OK(sio_server_new(rt, &so, &srv));
  OK(sio_server_set_packet_middleware(srv, refuse_forbidden, NULL));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", port);

  /* CORS: a listed origin is echoed back, another one gets no allowance */
  peer ok_origin, bad_origin;
  peer_spawn(&ok_origin, "cors-ok", "ffi/tests/c/peers/cors-check.cjs", url, "http://b.test", NULL);
  free(peer_wait(&ok_origin, tms(10000), "\"acao\":\"http://b.test\""));
  peer_spawn(&bad_origin, "cors-bad", "ffi/tests/c/peers/cors-check.cjs", url, "http://evil.test", NULL);
  free(peer_wait(&bad_origin, tms(10000), "\"acao\":null"));
  peer_close(&ok_origin, tms(5000));
  peer_close(&bad_origin, tms(5000));

  /* the client's query and headers reach the handshake */
  sio_client_options co;
  OK(sio_client_options_default(&co));
  co.query = "room=blue&who=c%20client";
  co.extra_headers_json = "{\"x-custom\":\"yes\"}";
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(url), &co, &cl));
  sio_event *ev = q_wait(&q, tms(15000), SIO_EVENT_CONNECTION, sio_server_id(srv), NULL);
  char *hs = NULL;
  OK(sio_socket_handshake_json(ev->socket, &hs, NULL));
  CHECK(strstr(hs, "\"room\":\"blue\"") && strstr(hs, "\"who\":\"c client\""), "query in handshake: %s", hs);
  CHECK(strstr(hs, "\"x-custom\":\"yes\""), "header in handshake: %s", hs);
  sio_string_free(hs);
  OK(sio_socket_set_data_json(ev->socket, S("{\"user\":\"alice\"}")));
  char id[64];
  snprintf(id, sizeof id, "%s", sio_socket_id(ev->socket));
  sio_event_free(ev);
  sio_event_free(q_wait(&q, tms(15000), SIO_EVENT_CLIENT_CONNECT, sio_client_id(cl), NULL));

  /* fetch_sockets shows the socket with its data */
  char *list = NULL;
  size_t list_len = 0;
  OK(sio_server_fetch_sockets_json(srv, NULL, 0, &list, &list_len));
  CHECK(list_len == strlen(list), "length %zu", list_len);
  CHECK(strstr(list, id) && strstr(list, "\"data\":{\"user\":\"alice\"}"), "fetch_sockets: %s", list);
  sio_string_free(list);

  /* the per-packet middleware drops "forbidden"; "allowed" (sent after it) arrives */
  OK(sio_client_emit(cl, S("forbidden"), S("[1]"), NULL, 0));
  OK(sio_client_emit(cl, S("allowed"), S("[2]"), NULL, 0));
  ev = q_wait(&q, tms(10000), SIO_EVENT_MESSAGE, sio_server_id(srv), NULL);
  CHECK(ev->name_len == 7 && memcmp(ev->name, "allowed", 7) == 0, "first event to reach the host: %s", ev->name);
  sio_event_free(ev);
  pthread_mutex_lock(&mw_lock);
  CHECK(middleware_calls == 2, "the middleware saw %d events", middleware_calls);
  pthread_mutex_unlock(&mw_lock);

  /* removing it lets everything through */
  OK(sio_server_set_packet_middleware(srv, NULL, NULL));
  OK(sio_client_emit(cl, S("forbidden"), S("[3]"), NULL, 0));
  sio_event_free(q_wait(&q, tms(10000), SIO_EVENT_MESSAGE, sio_server_id(srv), "forbidden"));

  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_fetch_sockets_json(srv, NULL, 0, NULL, NULL));
  co.extra_headers_json = "[1]";
  sio_client *bad = NULL;
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_client_new(rt, SZ(url), &co, &bad));
  CHECK(bad == NULL, "out-params are written only on success");

  sio_client_free(cl);
  sio_server_free(srv);
  q_drop(&q);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
