/* The bench contract (bench/README.md) on libsio, handlers in C (callback mode: they run on
 * the runtime's threads, no queue in between).
 *
 *   sio_c_server --port P
 *
 * Namespace "/": "echo" acks with the arguments it got (JSON text and buffers passed back
 * as they came); "join" (room) joins and acks; "bcast" (room, payload...) emits "b"
 * (payload...) to every socket in the room, sender included. Prints "ready PORT". */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio.h"

static const sio_server *server;

static int is(const sio_event *ev, const char *name) {
  return ev->name_len == strlen(name) && memcmp(ev->name, name, ev->name_len) == 0;
}

/* The first argument of `args` (`["room",...]`) when it is a string without escapes:
 * its start and length; *rest points after its closing quote. */
static int first_string(const char *args, size_t len, const char **s, size_t *n, const char **rest) {
  if (len < 3 || args[0] != '[' || args[1] != '"') return 0;
  const char *end = memchr(args + 2, '"', len - 2);
  if (!end) return 0;
  *s = args + 2;
  *n = (size_t)(end - *s);
  *rest = end + 1;
  return 1;
}

static void check(sio_status st, const char *what) {
  if (st != SIO_OK) fprintf(stderr, "%s: %s: %s\n", what, sio_status_str(st), sio_last_error());
}

static void on_event(void *user_data, const sio_event *ev) {
  (void)user_data;
  if (ev->kind != SIO_EVENT_MESSAGE) return;
  if (is(ev, "echo")) {
    if (ev->ack) check(sio_ack_send(ev->ack, ev->args_json, ev->args_json_len, ev->bufs, ev->n_bufs), "echo ack");
    return;
  }
  const char *room, *rest;
  size_t room_len;
  if (!first_string(ev->args_json, ev->args_json_len, &room, &room_len, &rest)) return;
  if (is(ev, "join")) {
    check(sio_socket_join(ev->socket, room, room_len), "join");
    if (ev->ack) check(sio_ack_send(ev->ack, "[]", 2, NULL, 0), "join ack");
  } else if (is(ev, "bcast")) {
    /* ["room",X,...] -> [X,...] */
    size_t tail = ev->args_json_len - (size_t)(rest - ev->args_json);
    if (tail > 0 && rest[0] == ',') { rest++; tail--; }
    char small[1024];
    char *json = tail + 1 <= sizeof small ? small : malloc(tail + 1);
    if (!json) return;
    json[0] = '[';
    memcpy(json + 1, rest, tail);
    check(sio_server_emit(server, NULL, 0, room, room_len, NULL, 0, "b", 1, json, tail + 1, ev->bufs, ev->n_bufs), "bcast");
    if (json != small) free(json);
  }
}

int main(int argc, char **argv) {
  const char *port = "0";
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--port") == 0) port = argv[i + 1];

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL); /* runtime threads inherit the mask; main waits */

  sio_runtime *rt = NULL;
  sio_server *srv = NULL;
  sio_status st = sio_runtime_new(0, on_event, NULL, NULL, &rt);
  if (st == SIO_OK) st = sio_server_new(rt, NULL, &srv);
  if (st != SIO_OK) {
    fprintf(stderr, "sio: %s: %s\n", sio_status_str(st), sio_last_error());
    return 1;
  }
  server = srv; /* set before listening: no event arrives earlier */
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%s", port);
  uint16_t bound = 0;
  st = sio_server_listen(srv, addr, strlen(addr), &bound);
  if (st != SIO_OK) {
    fprintf(stderr, "listen: %s: %s\n", sio_status_str(st), sio_last_error());
    return 1;
  }
  printf("ready %u\n", bound);
  fflush(stdout);
  int sig;
  sigwait(&stop, &sig);
  sio_server_free(srv);
  sio_runtime_free(rt);
  return 0;
}
