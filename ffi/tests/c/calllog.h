/* A thread-safe log of the calls sio makes to a test's own callbacks (catch-alls,
 * middlewares, engine watchers...): each call appends one formatted line; the test thread
 * waits for a line or checks the order of lines. Include after common.h. */
#ifndef SIO_TEST_CALLLOG_H
#define SIO_TEST_CALLLOG_H

#define CALLLOG_MAX 4096

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *lines[CALLLOG_MAX];
  int n;
} calllog;

static T_UNUSED void calllog_init(calllog *l) {
  memset(l, 0, sizeof *l);
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
}

static T_UNUSED void calllog_destroy(calllog *l) {
  for (int i = 0; i < l->n; i++) free(l->lines[i]);
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
}

#ifdef __GNUC__
__attribute__((format(printf, 2, 3)))
#endif
static T_UNUSED void calllog_add(calllog *l, const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&l->mu);
  if (l->n < CALLLOG_MAX) l->lines[l->n++] = t_strndup(buf, strlen(buf));
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

/* Index of the first line at or after `from` that starts with `prefix`, or -1. */
static T_UNUSED int calllog_find_from(calllog *l, int from, const char *prefix) {
  pthread_mutex_lock(&l->mu);
  int found = -1;
  for (int i = from < 0 ? 0 : from; i < l->n && found < 0; i++)
    if (strncmp(l->lines[i], prefix, strlen(prefix)) == 0) found = i;
  pthread_mutex_unlock(&l->mu);
  return found;
}

#define calllog_find(l, prefix) calllog_find_from((l), 0, (prefix))

/* Number of lines starting with `prefix`. */
static T_UNUSED int calllog_count(calllog *l, const char *prefix) {
  pthread_mutex_lock(&l->mu);
  int n = 0;
  for (int i = 0; i < l->n; i++) n += strncmp(l->lines[i], prefix, strlen(prefix)) == 0;
  pthread_mutex_unlock(&l->mu);
  return n;
}

static T_UNUSED void calllog_dump(calllog *l) {
  pthread_mutex_lock(&l->mu);
  fprintf(stderr, "call log (%d lines):\n", l->n);
  for (int i = 0; i < l->n; i++) fprintf(stderr, "  %3d %s\n", i, l->lines[i]);
  pthread_mutex_unlock(&l->mu);
}

/* Waits for a line at or after `from` starting with `prefix`; returns its index. Fails
 * the test (dumping the log) after `ms`. */
static T_UNUSED int calllog_wait_from(calllog *l, int ms, int from, const char *prefix) {
  struct timespec dl = t_deadline(tms(ms));
  pthread_mutex_lock(&l->mu);
  for (;;) {
    for (int i = from < 0 ? 0 : from; i < l->n; i++)
      if (strncmp(l->lines[i], prefix, strlen(prefix)) == 0) {
        pthread_mutex_unlock(&l->mu);
        return i;
      }
    if (pthread_cond_timedwait(&l->cv, &l->mu, &dl) == ETIMEDOUT) {
      int again = 0;
      for (int i = from < 0 ? 0 : from; i < l->n; i++) again |= strncmp(l->lines[i], prefix, strlen(prefix)) == 0;
      if (again) continue;
      pthread_mutex_unlock(&l->mu);
      calllog_dump(l);
      FAIL("no call `%s...` (from line %d) within %d ms", prefix, from, tms(ms));
    }
  }
}

#define calllog_wait(l, ms, prefix) calllog_wait_from((l), (ms), 0, (prefix))

/* Hex of `n` bytes into `out` (2n+1 bytes). */
static T_UNUSED void t_hex(const uint8_t *p, size_t n, char *out) {
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = d[p[i] >> 4];
    out[2 * i + 1] = d[p[i] & 15];
  }
  out[2 * n] = '\0';
}

/* Appends one line per engine activity:
 * `prefix|name|packet_type|text|binary hex|transport|sid|reason|text=yes|no` (absent
 * fields empty, `text=` telling an absent text from an empty one; text cut at 200 bytes). */
static T_UNUSED void calllog_engine(calllog *l, const char *prefix, const sio_engine_activity *a) {
  char text[256] = "", bin[130] = "";
  if (a->text) snprintf(text, sizeof text, "%.*s", (int)(a->text_len < 200 ? a->text_len : 200), a->text);
  if (a->binary) t_hex(a->binary, a->binary_len < 64 ? a->binary_len : 64, bin);
  calllog_add(l, "%s|%s|%s|%s|%s|%s|%s|%s|text=%s", prefix, a->name, a->packet_type ? a->packet_type : "", text, bin,
              a->transport ? a->transport : "", a->sid ? a->sid : "", a->reason ? a->reason : "",
              a->text ? "yes" : "no");
}

#endif
