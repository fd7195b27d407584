/* sio_server_options.cluster_adapter: for "redis-sharded" and "redis-streams", two C
 * servers of that kind form a cluster (B's broadcast, binary included, reaches A's
 * client; sio_server_count is 2; a server-side event with ack crosses), one kind after
 * the other (the first cluster is freed before the second starts). An unknown kind, or a kind without
 * cluster_url, is SIO_ERR_INVALID_ARGUMENT naming the field. run.sh starts Redis and
 * passes its URL in SIO_TEST_REDIS_URL. */
#include "common.h"

static qwait q;

static void cluster_of(sio_runtime *rt, const char *redis, const char *kind) {
  sio_server_options so;
  OK(sio_server_options_default(&so));
  so.cluster_url = redis;
  so.cluster_adapter = kind;
  sio_server *a = NULL, *b = NULL;
  OK(sio_server_new(rt, &so, &a));
  OK(sio_server_new(rt, &so, &b));
  uint16_t port_a = 0, port_b = 0;
  OK(sio_server_listen(a, S("127.0.0.1:0"), &port_a));
  OK(sio_server_listen(b, S("127.0.0.1:0"), &port_b));

  char client_url[128];
  snprintf(client_url, sizeof client_url, "http://127.0.0.1:%u/", port_a);
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(client_url), NULL, &cl));
  uint64_t cid = sio_client_id(cl);
  sio_event_free(q_wait(&q, 15000, SIO_EVENT_CONNECTION, sio_server_id(a), NULL));
  sio_event_free(q_wait(&q, 5000, SIO_EVENT_CLIENT_CONNECT, cid, NULL));

  /* B broadcasts until it crosses: subscriptions settle asynchronously after start-up. */
  static const uint8_t bin[] = {1, 2, 3};
  sio_buf buf = {bin, sizeof bin};
  sio_event *got = NULL;
  for (int i = 0; i < 60 && !got; i++) {
    OK(sio_server_emit(b, S("/"), NULL, 0, NULL, 0, S("from-b"), S("[\"hi\",{\"_placeholder\":true,\"num\":0}]"), &buf, 1));
    got = q_try_wait(&q, 250, SIO_EVENT_CLIENT_MESSAGE, cid, "from-b");
  }
  CHECK(got != NULL, "%s: server B's broadcast never reached server A's client", kind);
  CHECK(got->n_bufs == 1 && got->bufs[0].len == 3 && memcmp(got->bufs[0].ptr, bin, 3) == 0,
        "%s: from-b %s with %zu buffers", kind, got->args_json, got->n_bufs);
  sio_event_free(got);

  size_t count = 0;
  for (int i = 0; i < 60 && count != 2; i++) {
    OK(sio_server_count(a, &count));
    if (count != 2) nanosleep(&(struct timespec){0, 250 * 1000000L}, NULL);
  }
  CHECK(count == 2, "%s: sio_server_count on A: %zu", kind, count);

  ackrec ar;
  ackrec_init(&ar);
  OK(sio_server_server_side_emit_with_ack(a, NULL, 0, S("ask"), S("[1]"), NULL, 0, ackrec_cb, &ar));
  sio_event *ss = q_wait(&q, 10000, SIO_EVENT_SERVER_SIDE, sio_server_id(b), "ask");
  CHECK(ss->ack != NULL, "%s: ask without ack", kind);
  OK(sio_ack_send(ss->ack, S("[42]"), NULL, 0));
  sio_event_free(ss);
  ackrec_wait(&ar, 10000, "ask");
  CHECK(ar.outcome == SIO_ACK_ANSWERED && STREQ(ar.args_json, "[42]"), "%s: ask: outcome %d, answers %s", kind,
        (int)ar.outcome, ar.args_json);
  ackrec_destroy(&ar);

  sio_client_free(cl);
  sio_server_free(a);
  sio_server_free(b);
}

int main(void) {
  t_begin("test_cluster_kinds", 120);
  const char *redis = getenv("SIO_TEST_REDIS_URL");
  CHECK(redis && *redis, "SIO_TEST_REDIS_URL is not set (run through ffi/tests/c/run.sh)");
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;

  sio_server_options bad;
  OK(sio_server_options_default(&bad));
  bad.cluster_url = redis;
  bad.cluster_adapter = "redis-cluster";
  sio_server *nope = NULL;
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_new(rt, &bad, &nope));
  CHECK(nope == NULL, "out-param written on failure");
  CHECK(strstr(sio_last_error(), "cluster_adapter") && strstr(sio_last_error(), "unknown kind"), "last error: %s",
        sio_last_error());
  bad.cluster_url = NULL;
  bad.cluster_adapter = "redis-streams";
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_new(rt, &bad, &nope));
  CHECK(strstr(sio_last_error(), "needs cluster_url"), "last error: %s", sio_last_error());

  cluster_of(rt, redis, "redis-sharded");
  cluster_of(rt, redis, "redis-streams");

  q_drop(&q);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
