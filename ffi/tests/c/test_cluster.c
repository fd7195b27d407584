/* Two C servers joined through Redis (sio_server_options.cluster_url): a C client of
 * server A receives what server B broadcasts, binary included; A's server-side events
 * (with and without ack, on / and on /admin) reach B with their namespace; sio_server_count. run.sh starts Redis and passes its
 * URL in SIO_TEST_REDIS_URL. */
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

  /* Server-side events, A to B (no client involved): B finds them in its queue. The
   * nodes' subscriptions settle asynchronously, so A repeats until one arrives. */
  uint64_t id_b = sio_server_id(b);
  size_t reached = 99;
  sio_event *ss = NULL;
  for (int i = 0; i < 60 && !ss; i++) {
    OK(sio_server_server_side_emit(a, NULL, 0, S("hello"), S("[\"x\",{\"_placeholder\":true,\"num\":0}]"), &buf, 1, &reached));
    ss = q_try_wait(&q, 250, SIO_EVENT_SERVER_SIDE, 0, "hello");
  }
  CHECK(ss != NULL, "server A's server-side event never reached server B");
  CHECK(ss->source_id == id_b && ss->socket == NULL && ss->ack == NULL && STREQ(ss->ns, "/"),
        "hello: source %llu (B is %llu), socket %p, ack %p, ns %s", (unsigned long long)ss->source_id,
        (unsigned long long)id_b, (const void *)ss->socket, (const void *)ss->ack, ss->ns);
  CHECK(STREQ(ss->args_json, "[\"x\",{\"_placeholder\":true,\"num\":0}]") && ss->n_bufs == 1 &&
            ss->bufs[0].len == 3 && memcmp(ss->bufs[0].ptr, bin, 3) == 0,
        "hello %s with %zu buffers", ss->args_json, ss->n_bufs);
  sio_event_free(ss);

  /* Both nodes are subscribed now; counting is a Redis round trip, retried like above. */
  size_t count = 0;
  for (int i = 0; i < 60 && count != 2; i++) {
    OK(sio_server_count(a, &count));
    if (count != 2) nanosleep(&(struct timespec){0, 250 * 1000000L}, NULL);
  }
  CHECK(count == 2, "sio_server_count on A: %zu", count);
  OK(sio_server_server_side_emit(a, NULL, 0, S("counted"), NULL, 0, NULL, 0, &reached));
  CHECK(reached == 1, "server_side_emit after the count reached %zu servers", reached);

  /* With an ack: B answers one value, A's callback gets the array of answers. */
  ackrec ar;
  ackrec_init(&ar);
  OK(sio_server_server_side_emit_with_ack(a, NULL, 0, S("ask"), S("[1]"), NULL, 0, ackrec_cb, &ar));
  ss = q_wait(&q, 10000, SIO_EVENT_SERVER_SIDE, id_b, "ask");
  CHECK(ss->ack != NULL && STREQ(ss->args_json, "[1]"), "ask: ack %p, args %s", (const void *)ss->ack, ss->args_json);
  sio_ack *kept = NULL;
  OK(sio_ack_clone(ss->ack, &kept));
  sio_event_free(ss); /* the clone outlives the event */
  OK(sio_ack_send(kept, S("[42,\"ignored\"]"), NULL, 0));
  EXPECT_STATUS(SIO_ERR_USED, sio_ack_send(kept, S("[43]"), NULL, 0));
  sio_ack_free(kept);
  ackrec_wait(&ar, 10000, "ask");
  CHECK(ar.outcome == SIO_ACK_ANSWERED && STREQ(ar.args_json, "[42]"), "ask: outcome %d, answers %s", (int)ar.outcome,
        ar.args_json);

  /* Each namespace hears its own: sent to /admin, B gets it with ns "/admin" once B has
   * that namespace (and its subscription settled). */
  OK(sio_server_namespace(b, S("/admin"), false));
  ss = NULL;
  for (int i = 0; i < 60 && !ss; i++) {
    OK(sio_server_server_side_emit(a, S("/admin"), S("hello-admin"), S("[7]"), NULL, 0, &reached));
    ss = q_try_wait(&q, 250, SIO_EVENT_SERVER_SIDE, id_b, "hello-admin");
  }
  CHECK(ss != NULL, "server A's /admin server-side event never reached server B");
  CHECK(STREQ(ss->ns, "/admin") && STREQ(ss->args_json, "[7]"), "hello-admin: ns %s, args %s", ss->ns, ss->args_json);
  sio_event_free(ss);

  /* Reserved names fail up front, and the callback is never called for them. */
  EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_server_server_side_emit(a, NULL, 0, S("connect"), NULL, 0, NULL, 0, &reached));
  EXPECT_STATUS(SIO_ERR_RESERVED_EVENT, sio_server_server_side_emit_with_ack(a, NULL, 0, S("disconnect"), NULL, 0, NULL, 0, ackrec_cb, &ar));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_server_side_emit_with_ack(a, NULL, 0, S("ask"), NULL, 0, NULL, 0, NULL, NULL));
  EXPECT_STATUS(SIO_ERR_INVALID_JSON, sio_server_server_side_emit(a, NULL, 0, S("hello"), S("{}"), NULL, 0, NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_count(a, NULL));

  /* A server without cluster_url is a cluster of one: nobody reached, no answers. */
  sio_server *solo = NULL;
  OK(sio_server_new(rt, NULL, &solo));
  OK(sio_server_count(solo, &count));
  CHECK(count == 1, "sio_server_count without a cluster: %zu", count);
  reached = 99;
  OK(sio_server_server_side_emit(solo, NULL, 0, S("hello"), S("[1]"), NULL, 0, &reached));
  CHECK(reached == 0, "server_side_emit without a cluster reached %zu", reached);
  ackrec alone;
  ackrec_init(&alone);
  OK(sio_server_server_side_emit_with_ack(solo, NULL, 0, S("ask"), NULL, 0, NULL, 0, ackrec_cb, &alone));
  ackrec_wait(&alone, 5000, "ask alone");
  CHECK(alone.outcome == SIO_ACK_ANSWERED && STREQ(alone.args_json, "[]"), "alone: outcome %d, answers %s",
        (int)alone.outcome, alone.args_json);

  sio_server_free(solo);
  sio_client_free(cl);
  q_drop(&q);
  sio_server_free(a);
  sio_server_free(b);
  sio_runtime_free(rt);
  CHECK(ackrec_calls(&ar) == 1 && ackrec_calls(&alone) == 1, "ack callbacks ran %d and %d times", ackrec_calls(&ar),
        ackrec_calls(&alone));
  ackrec_destroy(&ar);
  ackrec_destroy(&alone);
  t_pass();
  return 0;
}
