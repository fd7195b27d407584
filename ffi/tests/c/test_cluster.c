/* Two C servers joined through Redis (sio_server_options.cluster_url): a C client of
 * server A receives what server B broadcasts, binary included. run.sh starts Redis and
 * passes its URL in SIO_TEST_REDIS_URL. */
#include "common.h"

static qwait q;

int main(void) {
  t_begin("test_cluster", 90);
  const char *redis = getenv("SIO_TEST_REDIS_URL");
  CHECK(redis && *redis, "SIO_TEST_REDIS_URL is not set (run through ffi/tests/c/run.sh)");
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;

  sio_server_options so;
  OK(sio_server_options_default(&so));
  so.cluster_url = redis;
  sio_server *a = NULL, *b = NULL;
  OK(sio_server_new(rt, &so, &a));
  OK(sio_server_new(rt, &so, &b));
  uint16_t port_a = 0, port_b = 0;
  OK(sio_server_listen(a, S("127.0.0.1:0"), &port_a));
  OK(sio_server_listen(b, S("127.0.0.1:0"), &port_b));

  /* a URL that is not a Redis URL is refused with a clear error */
  sio_server_options bad = so;
  bad.cluster_url = "http://not-redis";
  sio_server *nope = NULL;
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_new(rt, &bad, &nope));
  CHECK(nope == NULL, "out-param written on failure");
  CHECK(strstr(sio_last_error(), "cluster_url"), "last error: %s", sio_last_error());

  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port_a);
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(url), NULL, &cl));
  uint64_t cid = sio_client_id(cl);
  sio_event *ev = q_wait(&q, 15000, SIO_EVENT_CONNECTION, sio_server_id(a), NULL);
  sio_event_free(ev);
  ev = q_wait(&q, 5000, SIO_EVENT_CLIENT_CONNECT, cid, NULL);
  sio_event_free(ev);

  /* Server B broadcasts until its message crosses Redis to A's client: the nodes'
   * subscriptions settle asynchronously after start-up. */
  static const uint8_t bin[] = {1, 2, 3};
  sio_buf buf = {bin, sizeof bin};
  sio_event *got = NULL;
  for (int i = 0; i < 60 && !got; i++) {
    OK(sio_server_emit(b, S("/"), NULL, 0, NULL, 0, S("from-b"), S("[\"hi\",{\"_placeholder\":true,\"num\":0}]"), &buf, 1));
    got = q_try_wait(&q, 250, SIO_EVENT_CLIENT_MESSAGE, cid, "from-b");
  }
  CHECK(got != NULL, "server B's broadcast never reached server A's client");
  CHECK(STREQ(got->args_json, "[\"hi\",{\"_placeholder\":true,\"num\":0}]") && got->n_bufs == 1 &&
            got->bufs[0].len == 3 && memcmp(got->bufs[0].ptr, bin, 3) == 0,
        "from-b %s with %zu buffers", got->args_json, got->n_bufs);
  sio_event_free(got);

  sio_client_free(cl);
  q_drop(&q);
  sio_server_free(a);
  sio_server_free(b);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
