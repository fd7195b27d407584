/* sio_set_log_callback: the library's records reach the host's callback, by logger and
 * level. A C client connects to a C server and leaves: `sio.server` debug records for the
 * socket connected and disconnected with its reason; a server whose Redis is unreachable:
 * a `sio.redis` warning. Bad levels are refused; SIO_LOG_OFF stops the records. */
#include "common.h"
#include "calllog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static qwait q;
static calllog lg;

static void on_log(void *ud, sio_log_level level, const char *logger, const char *message, size_t message_len) {
  CHECK(ud == &lg, "user_data");
  CHECK(strlen(message) == message_len, "message length %zu for %s", message_len, message);
  const char *names[] = {"off", "error", "warn", "info", "debug", "trace"};
  calllog_add(&lg, "%s|%s|%s", logger, names[level], message);
}

/* A port nobody listens on: bound, then released. */
static uint16_t closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0, "bind");
  close(fd);
  return ntohs(a.sin_port);
}

/* The index of the first line starting with `prefix` that also contains `word`. */
static int find_with(const char *prefix, const char *word, int from) {
  for (int i = calllog_wait_from(&lg, tms(10000), from, prefix);; i = calllog_wait_from(&lg, tms(10000), i + 1, prefix)) {
    pthread_mutex_lock(&lg.mu);
    int hit = strstr(lg.lines[i], word) != NULL;
    pthread_mutex_unlock(&lg.mu);
    if (hit) return i;
  }
}

int main(void) {
  t_begin("test_logs", 60);
  calllog_init(&lg);
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_set_log_callback(6, on_log, &lg));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_set_log_callback(-1, on_log, &lg));
  OK(sio_set_log_callback(SIO_LOG_DEBUG, on_log, &lg));

  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;
  sio_server *srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(url), NULL, &cl));
  sio_event *ev = q_wait(&q, tms(15000), SIO_EVENT_CONNECTION, sio_server_id(srv), NULL);
  char id[64];
  snprintf(id, sizeof id, "id=%s", sio_socket_id(ev->socket));
  sio_event_free(ev);
  sio_event_free(q_wait(&q, tms(15000), SIO_EVENT_CLIENT_CONNECT, sio_client_id(cl), NULL));

  int i_conn = find_with("sio.server|debug|socket connected", id, 0);
  find_with("sio.engine|debug|session opened", "transport=", 0);
  OK(sio_client_disconnect(cl));
  sio_event_free(q_wait(&q, tms(10000), SIO_EVENT_DISCONNECT, sio_server_id(srv), NULL));
  int i_gone = find_with("sio.server|debug|socket disconnected", id, i_conn);
  pthread_mutex_lock(&lg.mu);
  /* the DISCONNECT packet, or the transport the last namespace's leave closes */
  CHECK(strstr(lg.lines[i_gone], "reason=client namespace disconnect") || strstr(lg.lines[i_gone], "reason=transport close"),
        "%s", lg.lines[i_gone]);
  pthread_mutex_unlock(&lg.mu);

  /* Redis unreachable: a warning, even at the WARN level */
  OK(sio_set_log_callback(SIO_LOG_WARN, on_log, &lg));
  pthread_mutex_lock(&lg.mu);
  int before_warn = lg.n;
  pthread_mutex_unlock(&lg.mu);
  sio_server_options so;
  OK(sio_server_options_default(&so));
  char redis[64];
  snprintf(redis, sizeof redis, "redis://127.0.0.1:%u", closed_port());
  so.cluster_url = redis;
  sio_server *lonely = NULL;
  OK(sio_server_new(rt, &so, &lonely));
  int i_warn = find_with("sio.redis|warn|", "unreachable", before_warn);
  for (int i = before_warn; i <= i_warn; i++) {
    pthread_mutex_lock(&lg.mu);
    CHECK(strstr(lg.lines[i], "|debug|") == NULL, "a debug record at WARN: %s", lg.lines[i]);
    pthread_mutex_unlock(&lg.mu);
  }

  /* Off: nothing more */
  OK(sio_set_log_callback(SIO_LOG_OFF, on_log, &lg));
  pthread_mutex_lock(&lg.mu);
  int n_off = lg.n;
  pthread_mutex_unlock(&lg.mu);
  sio_server_free(lonely);
  sio_client_free(cl);
  q_drop(&q);
  sio_server_free(srv);
  sio_runtime_free(rt);
  CHECK(lg.n == n_off, "%d records after SIO_LOG_OFF", lg.n - n_off);
  calllog_destroy(&lg);
  t_pass();
  return 0;
}
