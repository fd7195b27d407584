/* A chat server on libsio (pull-queue mode).
 *
 *   chat_server [PORT]      (PORT 0 or absent: any free port)
 *
 * Prints `listening on PORT`. Every socket joins room "chat". A client event
 *   "message", text            → everyone in "chat" gets "message", {"from": nick-or-id, "text": text}
 *                                (the sender too); an ack, if asked for, gets [true]
 *   "nick", name               → stored in socket.data; ack [true]
 * Joins and leaves are announced with "joined" / "left". SIGINT/SIGTERM stop it. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int check(sio_status st, const char *what) {
  if (st != SIO_OK) fprintf(stderr, "%s: %s: %s\n", what, sio_status_str(st), sio_last_error());
  return st == SIO_OK;
}

/* The first element of a JSON array of arguments, as JSON text ("null" if none).
 * Naive but enough for [string] / [number]: copies up to the top-level comma. */
static void first_arg(const char *args, char *out, size_t n) {
  const char *p = args + 1;
  int depth = 0, in_str = 0;
  size_t i = 0;
  for (; *p && i + 1 < n; p++) {
    if (in_str) {
      if (*p == '\\' && p[1]) { out[i++] = *p++; }
      else if (*p == '"') in_str = 0;
    } else if (*p == '"') in_str = 1;
    else if (*p == '[' || *p == '{') depth++;
    else if ((*p == ']' || *p == '}') && depth-- == 0) break;
    else if (*p == ',' && depth == 0) break;
    out[i++] = *p;
  }
  out[i] = '\0';
  if (i == 0) snprintf(out, n, "null");
}

static void nick_of(const sio_socket *s, char *out, size_t n) {
  char *data = NULL;
  if (sio_socket_data_json(s, &data, NULL) == SIO_OK && data[0] == '"') {
    snprintf(out, n, "%s", data);
  } else {
    snprintf(out, n, "\"%s\"", sio_socket_id(s));
  }
  sio_string_free(data);
}

int main(int argc, char **argv) {
  const char *port_arg = argc > 1 ? argv[1] : "0";
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  sio_runtime *rt = NULL;
  sio_server *srv = NULL;
  if (!check(sio_runtime_new(0, NULL, NULL, NULL, &rt), "sio_runtime_new")) return 1;
  if (!check(sio_server_new(rt, NULL, &srv), "sio_server_new")) return 1;
  char addr[64];
  snprintf(addr, sizeof addr, "0.0.0.0:%s", port_arg);
  uint16_t port = 0;
  if (!check(sio_server_listen(srv, addr, strlen(addr), &port), "sio_server_listen")) return 1;
  printf("listening on %u\n", port);
  fflush(stdout);

  while (!stop) {
    sio_event *ev = NULL;
    sio_status st = sio_next_event(rt, 200, &ev);
    if (st == SIO_ERR_TIMEOUT) continue;
    if (!check(st, "sio_next_event")) break;
    char text[4096], nick[128], json[4400];
    switch (ev->kind) {
      case SIO_EVENT_CONNECTION:
        check(sio_socket_join(ev->socket, "chat", 4), "join");
        snprintf(json, sizeof json, "[\"%s\"]", sio_socket_id(ev->socket));
        check(sio_socket_broadcast(ev->socket, "chat", 4, NULL, 0, "joined", 6, json, strlen(json), NULL, 0), "joined");
        printf("%s joined\n", sio_socket_id(ev->socket));
        break;
      case SIO_EVENT_MESSAGE:
        first_arg(ev->args_json, text, sizeof text);
        if (strcmp(ev->name, "nick") == 0) {
          check(sio_socket_set_data_json(ev->socket, text, strlen(text)), "nick");
        } else if (strcmp(ev->name, "message") == 0) {
          nick_of(ev->socket, nick, sizeof nick);
          snprintf(json, sizeof json, "[{\"from\":%s,\"text\":%s}]", nick, text);
          check(sio_server_emit(srv, NULL, 0, "chat", 4, NULL, 0, "message", 7, json, strlen(json), NULL, 0), "emit");
          printf("%s: %s\n", nick, text);
        }
        if (ev->ack) check(sio_ack_send(ev->ack, "[true]", 6, NULL, 0), "ack");
        break;
      case SIO_EVENT_DISCONNECT:
        snprintf(json, sizeof json, "[\"%s\",\"%s\"]", sio_socket_id(ev->socket), sio_disconnect_reason_str(ev->reason));
        check(sio_server_emit(srv, NULL, 0, "chat", 4, NULL, 0, "left", 4, json, strlen(json), NULL, 0), "left");
        printf("%s left (%s)\n", sio_socket_id(ev->socket), sio_disconnect_reason_str(ev->reason));
        break;
      default:
        break;
    }
    fflush(stdout);
    sio_event_free(ev);
  }
  printf("shutting down\n");
  sio_server_free(srv);
  sio_runtime_free(rt); /* clients get "server shutting down" */
  return 0;
}
