/* A chat client on libsio (callback mode).
 *
 *   chat_client URL [NICK]      e.g. chat_client http://127.0.0.1:3000/ ann
 *
 * Each line read from stdin is sent as "message" with an acknowledgement; messages from
 * the room are printed as `<from> text`. At end of input it waits (up to 10 s) until the
 * server acknowledged every line, then disconnects; exit status 0 if all were acked. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sio.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int acked, failed;

static void on_event(void *user_data, const sio_event *ev) {
  (void)user_data;
  switch (ev->kind) {
    case SIO_EVENT_CLIENT_CONNECT: printf("* connected\n"); break;
    case SIO_EVENT_CLIENT_CONNECT_ERROR: printf("* cannot connect: %s\n", ev->message); break;
    case SIO_EVENT_CLIENT_DISCONNECT: printf("* disconnected: %s\n", sio_disconnect_reason_str(ev->reason)); break;
    case SIO_EVENT_CLIENT_MESSAGE: printf("%s %s\n", ev->name, ev->args_json); break;
    default: break;
  }
  fflush(stdout);
}

static void on_ack(void *user_data, sio_ack_outcome outcome, const char *args, size_t args_len, const sio_buf *bufs,
                   size_t n_bufs) {
  (void)user_data; (void)args; (void)args_len; (void)bufs; (void)n_bufs;
  pthread_mutex_lock(&mu);
  if (outcome == SIO_ACK_ANSWERED) acked++;
  else failed++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

/* ["<line as a JSON string>"] */
static char *json_args(const char *line) {
  size_t n = strlen(line);
  char *out = malloc(n * 6 + 8), *o = out;
  if (!out) return NULL;
  *o++ = '[';
  *o++ = '"';
  for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
    if (*p == '"' || *p == '\\') { *o++ = '\\'; *o++ = (char)*p; }
    else if (*p < 0x20) o += sprintf(o, "\\u%04x", *p);
    else *o++ = (char)*p;
  }
  *o++ = '"';
  *o++ = ']';
  *o = '\0';
  return out;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s URL [NICK]\n", argv[0]);
    return 2;
  }
  sio_runtime *rt = NULL;
  sio_client *cl = NULL;
  sio_status st = sio_runtime_new(2, on_event, NULL, NULL, &rt);
  if (st == SIO_OK) st = sio_client_new(rt, argv[1], strlen(argv[1]), NULL, &cl);
  if (st != SIO_OK) {
    fprintf(stderr, "%s: %s\n", sio_status_str(st), sio_last_error());
    return 1;
  }
  if (argc > 2) {
    char *nick = json_args(argv[2]);
    st = sio_client_emit(cl, "nick", 4, nick, strlen(nick), NULL, 0); /* buffered until connected */
    free(nick);
    if (st != SIO_OK) fprintf(stderr, "nick: %s\n", sio_last_error());
  }
  int sent = 0;
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    char *args = json_args(line);
    st = sio_client_emit_with_ack(cl, "message", 7, args, strlen(args), NULL, 0, 10000, on_ack, NULL);
    free(args);
    if (st == SIO_OK) sent++;
    else fprintf(stderr, "emit: %s: %s\n", sio_status_str(st), sio_last_error());
  }
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  pthread_mutex_lock(&mu);
  while (acked + failed < sent)
    if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT) break;
  int ok = acked == sent;
  pthread_mutex_unlock(&mu);
  printf("* %d of %d messages acknowledged\n", acked, sent);
  sio_client_free(cl);
  sio_runtime_free(rt);
  return ok ? 0 : 1;
}
