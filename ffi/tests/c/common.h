/* Shared helpers of the C tests of libsio (header-only; each test is one translation unit).
 *
 * - CHECK/FAIL: print a reason (file:line) and exit(1).
 * - A watchdog (alarm) kills spawned peers and exits 2, so no test can hang.
 * - peer_*: spawn a Node peer with pipes; its stdout is JSON lines, read with timeouts.
 * - recorder_*: callback-mode events copied into a queue the test thread waits on
 *   (the socket is cloned, the ack cloned, the middleware decision taken).
 * - ackrec_*: records completions of *_emit_with_ack and counts them (exactly once).
 *
 * Paths: SIO_REPO (default ".") is the repository root; peers live in
 * $SIO_REPO/ffi/tests/c/peers. SIO_TEST_SCALE multiplies every timeout (the runner sets it
 * under Valgrind). */
#ifndef SIO_TEST_COMMON_H
#define SIO_TEST_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sio.h"

#ifdef __GNUC__
#define T_UNUSED __attribute__((unused))
#else
#define T_UNUSED
#endif

/* ------------------------------------------------------------------ failing */

static const char *t_name = "test";

#define FAIL(...)                                                          \
  do {                                                                     \
    fprintf(stderr, "FAIL %s (%s:%d): ", t_name, __FILE__, __LINE__);      \
    fprintf(stderr, __VA_ARGS__);                                          \
    fprintf(stderr, "\n");                                                 \
    t_kill_peers();                                                        \
    exit(1);                                                               \
  } while (0)

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "FAIL %s (%s:%d): check `%s` failed: ", t_name,      \
              __FILE__, __LINE__, #cond);                                  \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
      t_kill_peers();                                                      \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

/* A call that must return SIO_OK. */
#define OK(call)                                                           \
  do {                                                                     \
    sio_status st_ = (call);                                               \
    if (st_ != SIO_OK)                                                     \
      FAIL("%s returned %d (%s): %s", #call, (int)st_, sio_status_str(st_), \
           sio_last_error());                                              \
  } while (0)

/* A call that must fail with `want` and leave a non-empty sio_last_error(). */
#define EXPECT_STATUS(want, call)                                          \
  do {                                                                     \
    sio_status st_ = (call);                                               \
    if (st_ != (want))                                                     \
      FAIL("%s returned %d (%s), expected %d (%s); last error: %s", #call,  \
           (int)st_, sio_status_str(st_), (int)(want),                     \
           sio_status_str(want), sio_last_error());                        \
    if ((want) != SIO_OK && sio_last_error()[0] == '\0')                   \
      FAIL("%s failed but sio_last_error() is empty", #call);              \
  } while (0)

#define STREQ(a, b) (strcmp((a), (b)) == 0)

static pid_t t_peer_pids[16];
static int t_n_peer_pids;

static T_UNUSED void t_kill_peers(void) {
  for (int i = 0; i < t_n_peer_pids; i++)
    if (t_peer_pids[i] > 0) kill(t_peer_pids[i], SIGKILL);
}

static T_UNUSED void t_on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "FAIL: watchdog timeout (test hung)\n";
  ssize_t r = write(2, msg, sizeof msg - 1);
  (void)r;
  t_kill_peers();
  _exit(2);
}

static T_UNUSED double t_scale(void) {
  const char *s = getenv("SIO_TEST_SCALE");
  double v = s ? atof(s) : 1.0;
  return v >= 1.0 ? v : 1.0;
}

/* Scaled timeout in ms. */
static int T_UNUSED tms(int ms) { return (int)(ms * t_scale()); }

/* Names the test and arms the watchdog (seconds, scaled). */
static T_UNUSED void t_begin(const char *name, int watchdog_s) {
  t_name = name;
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, t_on_alarm);
  alarm((unsigned)(watchdog_s * t_scale()));
  setvbuf(stdout, NULL, _IOLBF, 0);
}

static void T_UNUSED t_pass(void) {
  alarm(0);
  printf("PASS %s\n", t_name);
}

static T_UNUSED long long t_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static T_UNUSED struct timespec t_deadline(int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

static T_UNUSED char *t_strndup(const char *s, size_t n) {
  char *r = malloc(n + 1);
  if (!r) FAIL("out of memory");
  if (n) memcpy(r, s, n);
  r[n] = '\0';
  return r;
}

static T_UNUSED const char *t_repo(void) {
  const char *r = getenv("SIO_REPO");
  return r && *r ? r : ".";
}

/* ------------------------------------------------------------------ peers */

#define PEER_MAX_LINES 512

typedef struct {
  pid_t pid;
  int in_fd;  /* we write commands */
  int out_fd; /* we read JSON lines */
  char buf[1 << 16];
  size_t len;
  char *lines[PEER_MAX_LINES]; /* read but not yet consumed, in order */
  int n_lines;
  const char *label;
} peer;

/* Spawns `node <script> args...` (args NULL-terminated, at most 6). */
static T_UNUSED void peer_spawn(peer *p, const char *label, const char *script, ...) {
  char path[1024];
  if (script[0] == '/')
    snprintf(path, sizeof path, "%s", script);
  else
    snprintf(path, sizeof path, "%s/%s", t_repo(), script);
  const char *argv[10] = {"node", path};
  int argc = 2;
  va_list ap;
  va_start(ap, script);
  const char *a;
  while ((a = va_arg(ap, const char *)) != NULL && argc < 9) argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;

  int in_pipe[2], out_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe)) FAIL("pipe: %s", strerror(errno));
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) FAIL("fork: %s", strerror(errno));
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    close(in_pipe[0]);
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(out_pipe[1]);
    execvp("node", (char *const *)argv);
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  fcntl(in_pipe[1], F_SETFD, FD_CLOEXEC);
  fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
  memset(p, 0, sizeof *p);
  p->pid = pid;
  p->in_fd = in_pipe[1];
  p->out_fd = out_pipe[0];
  p->label = label;
  if (t_n_peer_pids < 16) t_peer_pids[t_n_peer_pids++] = pid;
}

static T_UNUSED void peer_send(peer *p, const char *line) {
  size_t n = strlen(line);
  if (write(p->in_fd, line, n) != (ssize_t)n || write(p->in_fd, "\n", 1) != 1)
    FAIL("peer %s: write failed: %s", p->label, strerror(errno));
}

/* Reads whatever is available within `ms`; returns 0 on EOF. */
static T_UNUSED int peer_pump(peer *p, int ms) {
  struct pollfd pf = {p->out_fd, POLLIN, 0};
  int r = poll(&pf, 1, ms < 0 ? 0 : ms);
  if (r <= 0) return 1;
  if (p->len >= sizeof p->buf - 1) FAIL("peer %s: line too long", p->label);
  ssize_t n = read(p->out_fd, p->buf + p->len, sizeof p->buf - 1 - p->len);
  if (n <= 0) return 0;
  p->len += (size_t)n;
  char *nl;
  while ((nl = memchr(p->buf, '\n', p->len)) != NULL) {
    size_t l = (size_t)(nl - p->buf);
    if (p->n_lines >= PEER_MAX_LINES) FAIL("peer %s: too many unread lines", p->label);
    p->lines[p->n_lines++] = t_strndup(p->buf, l);
    if (getenv("SIO_TEST_VERBOSE")) fprintf(stderr, "[%s] %.*s\n", p->label, (int)l, p->buf);
    memmove(p->buf, nl + 1, p->len - l - 1);
    p->len -= l + 1;
  }
  return 1;
}

/* Index of the first unread line containing every needle (NULL-terminated list), or -1. */
static T_UNUSED int peer_find(peer *p, const char *const *needles) {
  for (int i = 0; i < p->n_lines; i++) {
    int all = 1;
    for (const char *const *n = needles; *n; n++)
      if (!strstr(p->lines[i], *n)) all = 0;
    if (all) return i;
  }
  return -1;
}

/* Waits for a line containing every needle; removes it (and only it) from the unread
 * lines and returns it (caller frees). Fails the test after `ms`. */
static T_UNUSED char *peer_wait_all(peer *p, int ms, const char *const *needles) {
  long long end = t_now_ms() + tms(ms);
  for (;;) {
    int i = peer_find(p, needles);
    if (i >= 0) {
      char *l = p->lines[i];
      memmove(&p->lines[i], &p->lines[i + 1], sizeof(char *) * (size_t)(p->n_lines - i - 1));
      p->n_lines--;
      return l;
    }
    long long left = end - t_now_ms();
    if (left <= 0) break;
    if (!peer_pump(p, (int)left)) {
      if (peer_find(p, needles) >= 0) continue;
      FAIL("peer %s exited before printing a line with `%s`", p->label, needles[0]);
    }
  }
  fprintf(stderr, "unread lines of peer %s:\n", p->label);
  for (int i = 0; i < p->n_lines; i++) fprintf(stderr, "  %s\n", p->lines[i]);
  FAIL("peer %s: no line with `%s`%s%s within %d ms", p->label, needles[0],
       needles[1] ? " and `" : "", needles[1] ? needles[1] : "", tms(ms));
  return NULL;
}

#define peer_wait(p, ms, ...) peer_wait_all((p), (ms), (const char *const[]){__VA_ARGS__, NULL})

/* Whether an unread line contains `needle` (does not consume it). */
static int T_UNUSED peer_has(peer *p, const char *needle) {
  const char *n[] = {needle, NULL};
  return peer_find(p, n) >= 0;
}

static T_UNUSED void peer_forget(peer *p) {
  for (int i = 0; i < t_n_peer_pids; i++)
    if (t_peer_pids[i] == p->pid) t_peer_pids[i] = -1;
}

static T_UNUSED void peer_free_lines(peer *p) {
  for (int i = 0; i < p->n_lines; i++) free(p->lines[i]);
  p->n_lines = 0;
}

/* SIGKILL and reap. */
static void T_UNUSED peer_kill(peer *p) {
  if (p->pid <= 0) return;
  kill(p->pid, SIGKILL);
  waitpid(p->pid, NULL, 0);
  peer_forget(p);
  close(p->in_fd);
  close(p->out_fd);
  peer_free_lines(p);
  p->pid = -1;
}

/* Closes its stdin (peers exit on EOF), waits up to `ms`, then kills. */
static void T_UNUSED peer_close(peer *p, int ms) {
  if (p->pid <= 0) return;
  close(p->in_fd);
  long long end = t_now_ms() + tms(ms);
  int status;
  while (waitpid(p->pid, &status, WNOHANG) == 0) {
    if (t_now_ms() > end) {
      kill(p->pid, SIGKILL);
      waitpid(p->pid, &status, 0);
      break;
    }
    if (!peer_pump(p, 50)) { /* EOF: it is exiting */
      waitpid(p->pid, &status, 0);
      break;
    }
  }
  peer_forget(p);
  close(p->out_fd);
  peer_free_lines(p);
  p->pid = -1;
}

/* ------------------------------------------------------------------ callback-mode recorder */

typedef struct tev {
  sio_event_kind kind;
  uint64_t source_id;
  sio_socket *socket; /* clone, owned */
  char sid[64];       /* socket id */
  char *ns, *name, *args_json, *message, *data_json;
  size_t n_bufs;
  uint8_t **bufs;
  size_t *buf_lens;
  sio_disconnect_reason reason;
  sio_ack *ack;             /* clone, owned */
  sio_middleware *decision; /* taken, owned */
  uint32_t attempt;
  bool active;
  struct tev *next;
} tev;

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  tev *head;
  int finalized; /* times the user_data finalizer ran */
  int callbacks;
  int clone_failures;
} recorder;

static void T_UNUSED recorder_init(recorder *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
}

/* `count` buffers in hex, comma-separated, into `out` (truncated to `n`). */
static T_UNUSED void t_hex_join(char *out, size_t n, const uint8_t *const *bufs, const size_t *lens, size_t count) {
  size_t at = 0;
  out[0] = '\0';
  for (size_t i = 0; i < count; i++) {
    if (i && at + 1 < n) out[at++] = ',';
    for (size_t j = 0; j < lens[i] && at + 2 < n; j++) at += (size_t)snprintf(out + at, n - at, "%02x", bufs[i][j]);
  }
  out[at < n ? at : n - 1] = '\0';
}

/* The buffers of a recorded event in hex, comma-separated (a static buffer). */
static T_UNUSED const char *tev_hex(const tev *e) {
  static char out[256];
  t_hex_join(out, sizeof out, (const uint8_t *const *)e->bufs, e->buf_lens, e->n_bufs);
  return out;
}

static T_UNUSED void tev_free(tev *e) {
  if (!e) return;
  sio_socket_free(e->socket);
  sio_ack_free(e->ack);
  sio_middleware_free(e->decision);
  free(e->ns);
  free(e->name);
  free(e->args_json);
  free(e->message);
  free(e->data_json);
  for (size_t i = 0; i < e->n_bufs; i++) free(e->bufs[i]);
  free(e->bufs);
  free(e->buf_lens);
  free(e);
}

/* Copies an event (borrowed or owned) into a tev. */
static T_UNUSED tev *tev_copy(const sio_event *ev, int *clone_failures) {
  tev *e = calloc(1, sizeof *e);
  if (!e) abort();
  e->kind = ev->kind;
  e->source_id = ev->source_id;
  e->reason = ev->reason;
  e->attempt = ev->attempt;
  e->active = ev->active;
  e->ns = t_strndup(ev->ns, ev->ns_len);
  e->name = t_strndup(ev->name, ev->name_len);
  e->args_json = t_strndup(ev->args_json, ev->args_json_len);
  e->message = t_strndup(ev->message, ev->message_len);
  e->data_json = ev->data_json ? t_strndup(ev->data_json, ev->data_json_len) : NULL;
  e->n_bufs = ev->n_bufs;
  if (ev->n_bufs) {
    e->bufs = calloc(ev->n_bufs, sizeof *e->bufs);
    e->buf_lens = calloc(ev->n_bufs, sizeof *e->buf_lens);
    for (size_t i = 0; i < ev->n_bufs; i++) {
      e->buf_lens[i] = ev->bufs[i].len;
      e->bufs[i] = malloc(ev->bufs[i].len + 1);
      if (ev->bufs[i].len) memcpy(e->bufs[i], ev->bufs[i].ptr, ev->bufs[i].len);
    }
  }
  if (ev->socket) {
    const char *id = sio_socket_id(ev->socket);
    if (id) snprintf(e->sid, sizeof e->sid, "%s", id);
    if (sio_socket_clone(ev->socket, &e->socket) != SIO_OK) (*clone_failures)++;
  }
  if (ev->ack && sio_ack_clone(ev->ack, &e->ack) != SIO_OK) (*clone_failures)++;
  if (ev->decision && sio_middleware_take(ev->decision, &e->decision) != SIO_OK) (*clone_failures)++;
  return e;
}

/* The sio_event_cb: copies and queues (runs on runtime threads). */
static void T_UNUSED recorder_cb(void *user_data, const sio_event *ev) {
  recorder *r = user_data;
  pthread_mutex_lock(&r->mu);
  r->callbacks++;
  tev *e = tev_copy(ev, &r->clone_failures);
  tev **tail = &r->head;
  while (*tail) tail = &(*tail)->next;
  *tail = e;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static void T_UNUSED recorder_finalize(void *user_data) {
  recorder *r = user_data;
  pthread_mutex_lock(&r->mu);
  r->finalized++;
  pthread_mutex_unlock(&r->mu);
}

static T_UNUSED int tev_matches(const tev *e, sio_event_kind kind, uint64_t source, const char *name, const char *sid) {
  if (e->kind != kind) return 0;
  if (source && e->source_id != source) return 0;
  if (name && !STREQ(e->name, name)) return 0;
  if (sid && !STREQ(e->sid, sid)) return 0;
  return 1;
}

static T_UNUSED const char *t_kind_str(sio_event_kind k) {
  switch (k) {
    case SIO_EVENT_CONNECTION: return "CONNECTION";
    case SIO_EVENT_MIDDLEWARE: return "MIDDLEWARE";
    case SIO_EVENT_MESSAGE: return "MESSAGE";
    case SIO_EVENT_DISCONNECTING: return "DISCONNECTING";
    case SIO_EVENT_DISCONNECT: return "DISCONNECT";
    case SIO_EVENT_UPGRADE: return "UPGRADE";
    case SIO_EVENT_CLIENT_CONNECT: return "CLIENT_CONNECT";
    case SIO_EVENT_CLIENT_CONNECT_ERROR: return "CLIENT_CONNECT_ERROR";
    case SIO_EVENT_CLIENT_DISCONNECT: return "CLIENT_DISCONNECT";
    case SIO_EVENT_CLIENT_MESSAGE: return "CLIENT_MESSAGE";
    case SIO_EVENT_RECONNECT_ATTEMPT: return "RECONNECT_ATTEMPT";
    case SIO_EVENT_RECONNECT: return "RECONNECT";
    case SIO_EVENT_RECONNECT_ERROR: return "RECONNECT_ERROR";
    case SIO_EVENT_RECONNECT_FAILED: return "RECONNECT_FAILED";
    case SIO_EVENT_SERVER_SIDE: return "SERVER_SIDE";
    case SIO_EVENT_MANAGER_OPEN: return "MANAGER_OPEN";
    case SIO_EVENT_MANAGER_PING: return "MANAGER_PING";
    case SIO_EVENT_MANAGER_CLOSE: return "MANAGER_CLOSE";
    case SIO_EVENT_MANAGER_ERROR: return "MANAGER_ERROR";
  }
  return "?";
}

/* Waits for (and removes) the first queued event of `kind` (and `source` when non-zero,
 * `name`, `sid` when not NULL). Other events stay queued. Fails the test after `ms`. */
static T_UNUSED tev *recorder_wait_ex(recorder *r, int ms, sio_event_kind kind, uint64_t source, const char *name, const char *sid) {
  struct timespec dl = t_deadline(tms(ms));
  pthread_mutex_lock(&r->mu);
  for (;;) {
    for (tev **pp = &r->head; *pp; pp = &(*pp)->next) {
      if (tev_matches(*pp, kind, source, name, sid)) {
        tev *e = *pp;
        *pp = e->next;
        e->next = NULL;
        pthread_mutex_unlock(&r->mu);
        return e;
      }
    }
    if (pthread_cond_timedwait(&r->cv, &r->mu, &dl) == ETIMEDOUT) {
      int again = 0;
      for (tev *e = r->head; e; e = e->next) again |= tev_matches(e, kind, source, name, sid);
      if (again) continue;
      fprintf(stderr, "queued events:\n");
      for (tev *e = r->head; e; e = e->next)
        fprintf(stderr, "  %s source=%llu ns=%s name=%s sid=%s reason=%d args=%s message=%s\n",
                t_kind_str(e->kind), (unsigned long long)e->source_id, e->ns, e->name, e->sid,
                (int)e->reason, e->args_json, e->message);
      pthread_mutex_unlock(&r->mu);
      FAIL("no %s event (source %llu, name %s, socket %s) within %d ms", t_kind_str(kind),
           (unsigned long long)source, name ? name : "*", sid ? sid : "*", tms(ms));
    }
  }
}

#define recorder_wait(r, ms, kind, name, sid) recorder_wait_ex((r), (ms), (kind), 0, (name), (sid))

/* Whether a matching event is queued (not consumed). */
static int T_UNUSED recorder_has(recorder *r, sio_event_kind kind, uint64_t source, const char *name, const char *sid) {
  pthread_mutex_lock(&r->mu);
  int found = 0;
  for (tev *e = r->head; e; e = e->next) found |= tev_matches(e, kind, source, name, sid);
  pthread_mutex_unlock(&r->mu);
  return found;
}

/* Frees every queued event (after sio_runtime_free: no callback runs any more). */
static void T_UNUSED recorder_destroy(recorder *r) {
  while (r->head) {
    tev *e = r->head;
    r->head = e->next;
    tev_free(e);
  }
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
}

/* ------------------------------------------------------------------ ack completions */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int calls;
  sio_ack_outcome outcome;
  char *args_json;
  size_t n_bufs;
  uint8_t buf0[64];
  size_t buf0_len;
  char bufs_hex[256]; /* every buffer in hex, comma-separated (the first 8) */
} ackrec;


static void T_UNUSED ackrec_init(ackrec *a) {
  memset(a, 0, sizeof *a);
  pthread_mutex_init(&a->mu, NULL);
  pthread_cond_init(&a->cv, NULL);
}

static void T_UNUSED ackrec_cb(void *user_data, sio_ack_outcome outcome, const char *args_json,
                               size_t args_json_len, const sio_buf *bufs, size_t n_bufs) {
  ackrec *a = user_data;
  pthread_mutex_lock(&a->mu);
  a->calls++;
  if (a->calls == 1) {
    a->outcome = outcome;
    a->args_json = t_strndup(args_json ? args_json : "", args_json ? args_json_len : 0);
    a->n_bufs = n_bufs;
    if (n_bufs) {
      a->buf0_len = bufs[0].len < sizeof a->buf0 ? bufs[0].len : sizeof a->buf0;
      if (a->buf0_len) memcpy(a->buf0, bufs[0].ptr, a->buf0_len);
    }
    const uint8_t *ptrs[8];
    size_t lens[8];
    size_t k = n_bufs < 8 ? n_bufs : 8;
    for (size_t i = 0; i < k; i++) {
      ptrs[i] = bufs[i].ptr;
      lens[i] = bufs[i].len;
    }
    t_hex_join(a->bufs_hex, sizeof a->bufs_hex, ptrs, lens, k);
  }
  pthread_cond_broadcast(&a->cv);
  pthread_mutex_unlock(&a->mu);
}

/* Waits for the first completion; fails after `ms`. */
static void T_UNUSED ackrec_wait(ackrec *a, int ms, const char *what) {
  struct timespec dl = t_deadline(tms(ms));
  pthread_mutex_lock(&a->mu);
  while (a->calls == 0) {
    if (pthread_cond_timedwait(&a->cv, &a->mu, &dl) == ETIMEDOUT && a->calls == 0) {
      pthread_mutex_unlock(&a->mu);
      FAIL("ack `%s` never completed within %d ms", what, tms(ms));
    }
  }
  pthread_mutex_unlock(&a->mu);
}

static int T_UNUSED ackrec_calls(ackrec *a) {
  pthread_mutex_lock(&a->mu);
  int n = a->calls;
  pthread_mutex_unlock(&a->mu);
  return n;
}

static void T_UNUSED ackrec_destroy(ackrec *a) {
  free(a->args_json);
  pthread_mutex_destroy(&a->mu);
  pthread_cond_destroy(&a->cv);
}

/* ------------------------------------------------------------------ queue-mode helpers */

#define QBACKLOG_MAX 256
typedef struct {
  const sio_runtime *rt;
  sio_event *pending[QBACKLOG_MAX];
  int n;
} qwait;

static T_UNUSED int qmatch(const sio_event *ev, sio_event_kind kind, uint64_t source, const char *name) {
  if (ev->kind != kind) return 0;
  if (source && ev->source_id != source) return 0;
  if (name && !(ev->name_len == strlen(name) && memcmp(ev->name, name, ev->name_len) == 0)) return 0;
  return 1;
}

/* Next owned event of `kind` (from `source` when non-zero, named `name` when non-NULL);
 * other events are kept for later waits. NULL after `ms`. Free with sio_event_free. */
static sio_event T_UNUSED *q_try_wait(qwait *q, int ms, sio_event_kind kind, uint64_t source, const char *name) {
  for (int i = 0; i < q->n; i++) {
    if (qmatch(q->pending[i], kind, source, name)) {
      sio_event *ev = q->pending[i];
      memmove(&q->pending[i], &q->pending[i + 1], sizeof(sio_event *) * (size_t)(q->n - i - 1));
      q->n--;
      return ev;
    }
  }
  long long end = t_now_ms() + tms(ms);
  for (;;) {
    long long left = end - t_now_ms();
    if (left <= 0) break;
    sio_event *ev = NULL;
    sio_status st = sio_next_event(q->rt, (uint32_t)left, &ev);
    if (st == SIO_ERR_TIMEOUT) break;
    if (st != SIO_OK) FAIL("sio_next_event: %s: %s", sio_status_str(st), sio_last_error());
    if (qmatch(ev, kind, source, name)) return ev;
    if (ev->kind == SIO_EVENT_DISCONNECTING) {
      /* A held DISCONNECTING keeps its socket from leaving: a test that did not wait for
       * it lets it go at once, as an event loop that frees each event would. */
      sio_event_free(ev);
      continue;
    }
    if (q->n >= QBACKLOG_MAX) FAIL("too many unconsumed events");
    q->pending[q->n++] = ev;
  }
  return NULL;
}

/* Same as q_try_wait, but fails (listing what did arrive) after `ms`. */
static sio_event T_UNUSED *q_wait(qwait *q, int ms, sio_event_kind kind, uint64_t source, const char *name) {
  sio_event *ev = q_try_wait(q, ms, kind, source, name);
  if (ev) return ev;
  fprintf(stderr, "unconsumed events:\n");
  for (int i = 0; i < q->n; i++)
    fprintf(stderr, "  %s source=%llu name=%s reason=%d\n", t_kind_str(q->pending[i]->kind),
            (unsigned long long)q->pending[i]->source_id, q->pending[i]->name, (int)q->pending[i]->reason);
  FAIL("no %s event (source %llu, name %s) within %d ms", t_kind_str(kind), (unsigned long long)source,
       name ? name : "*", tms(ms));
  return NULL;
}

static void T_UNUSED q_drop(qwait *q) {
  for (int i = 0; i < q->n; i++) sio_event_free(q->pending[i]);
  q->n = 0;
}

/* The string value of "key" in a compact JSON line (no escapes), or fails. */
static T_UNUSED void json_str(const char *line, const char *key, char *out, size_t n) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *a = strstr(line, pat);
  if (!a) FAIL("no string `%s` in `%s`", key, line);
  a += strlen(pat);
  const char *b = strchr(a, '"');
  if (!b || (size_t)(b - a) >= n) FAIL("bad string `%s` in `%s`", key, line);
  memcpy(out, a, (size_t)(b - a));
  out[b - a] = '\0';
}

/* String helpers for the ABI's (ptr, len) pairs. */
#define S(lit) (lit), (sizeof(lit) - 1)
#define SZ(str) (str), strlen(str)

#endif
