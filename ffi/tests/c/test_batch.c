/* Queue mode in bulk: sio_next_events takes a burst of events in few calls, in order,
 * each freed on its own; SIO_EVENT_DISCONNECTING carries the rooms (rooms_json) and
 * holds the socket connected, in its rooms, until it is freed; bad arguments. */
#include "common.h"

#define BURST 300

/* Pulls in bulk until both `a_kind` from `a_src` and `b_kind` from `b_src` arrived, in any
 * order (one batch may hold both); stores the first of each in *a / *b, frees the rest. */
static void pull_both(sio_runtime *rt, sio_event_kind a_kind, uint64_t a_src, sio_event **a, sio_event_kind b_kind,
                      uint64_t b_src, sio_event **b) {
  sio_event *evs[64];
  *a = NULL;
  *b = NULL;
  int rounds = tms(20000) / 100;
  for (int round = 0; round < rounds && !(*a && *b); round++) {
    size_t n = 0;
    sio_status st = sio_next_events(rt, 100, evs, 64, &n);
    if (st == SIO_ERR_TIMEOUT) continue;
    OK(st);
    for (size_t i = 0; i < n; i++) {
      if (!*a && evs[i]->kind == a_kind && evs[i]->source_id == a_src) *a = evs[i];
      else if (!*b && evs[i]->kind == b_kind && evs[i]->source_id == b_src) *b = evs[i];
      else sio_event_free(evs[i]);
    }
  }
  CHECK(*a && *b, "events %d (%s) and %d (%s) did not both come", (int)a_kind, *a ? "seen" : "missing", (int)b_kind,
        *b ? "seen" : "missing");
}

/* Pulls until `kind` from `src` arrives and returns it; frees the rest. */
static sio_event *pull_one(sio_runtime *rt, sio_event_kind kind, uint64_t src) {
  long long end = t_now_ms() + tms(20000);
  while (t_now_ms() < end) {
    sio_event *ev = NULL;
    sio_status st = sio_next_event(rt, 100, &ev);
    if (st == SIO_ERR_TIMEOUT) continue;
    OK(st);
    if (ev->kind == kind && ev->source_id == src) return ev;
    sio_event_free(ev);
  }
  FAIL("event %d from %llu did not come", (int)kind, (unsigned long long)src);
  return NULL;
}

int main(void) {
  t_begin("test_batch", 90);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  sio_server *srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);

  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.transports = SIO_TRANSPORT_WEBSOCKET;
  sio_client *cl = NULL;
  OK(sio_client_new(rt, SZ(url), &o, &cl));
  sio_event *conn = NULL, *connected = NULL;
  pull_both(rt, SIO_EVENT_CONNECTION, sio_server_id(srv), &conn, SIO_EVENT_CLIENT_CONNECT, sio_client_id(cl), &connected);
  sio_socket *s = NULL;
  OK(sio_socket_clone(conn->socket, &s));
  sio_event_free(conn);
  sio_event_free(connected);

  /* ---- a burst, pulled in bulk: in order, in fewer calls than events */
  for (int i = 0; i < BURST; i++) {
    char args[32];
    snprintf(args, sizeof args, "[%d]", i);
    OK(sio_client_emit(cl, S("n"), SZ(args), NULL, 0));
  }
  int seen = 0, calls = 0;
  sio_event *evs[512];
  while (seen < BURST) {
    size_t n = 0;
    sio_status st = sio_next_events(rt, (uint32_t)tms(5000), evs, 512, &n);
    CHECK(st == SIO_OK, "no events after %d of %d (%s)", seen, BURST, sio_last_error());
    calls++;
    for (size_t i = 0; i < n; i++) {
      if (evs[i]->kind == SIO_EVENT_MESSAGE) {
        char want[32];
        snprintf(want, sizeof want, "[%d]", seen);
        CHECK(STREQ(evs[i]->args_json, want), "event %d has %s", seen, evs[i]->args_json);
        seen++;
      }
      sio_event_free(evs[i]);
    }
  }
  CHECK(calls < BURST, "%d calls for %d events: no batching", calls, BURST);

  /* ---- disconnecting carries the rooms; until the event is freed the socket is still
   * connected and in them, and can emit; DISCONNECT follows the free */
  OK(sio_socket_join(s, S("r1")));
  OK(sio_socket_join(s, S("r2")));
  OK(sio_client_disconnect(cl));
  sio_event *leaving = pull_one(rt, SIO_EVENT_DISCONNECTING, sio_server_id(srv));
  const char *rooms = leaving->rooms_json;
  CHECK(rooms[0] == '[' && strstr(rooms, "\"r1\"") && strstr(rooms, "\"r2\"") && strstr(rooms, sio_socket_id(s)),
        "disconnecting rooms %s", rooms);
  CHECK(strlen(rooms) == leaving->rooms_json_len, "rooms_json_len");
  CHECK(sio_socket_connected(leaving->socket), "not connected while DISCONNECTING is held");
  char *now = NULL;
  OK(sio_socket_rooms_json(leaving->socket, &now, NULL));
  CHECK(strstr(now, "\"r1\"") && strstr(now, "\"r2\""), "rooms while leaving: %s", now);
  sio_string_free(now);
  OK(sio_socket_emit(leaving->socket, S("bye"), S("[]"), NULL, 0));
  sio_event_free(leaving);
  sio_event *left = pull_one(rt, SIO_EVENT_DISCONNECT, sio_server_id(srv));
  CHECK(!sio_socket_connected(s), "connected after DISCONNECT");
  sio_event_free(left);

  /* ---- bad arguments */
  size_t n = 7;
  CHECK(sio_next_events(rt, 0, evs, 0, &n) == SIO_ERR_INVALID_ARGUMENT && n == 0, "max 0");
  CHECK(sio_next_events(rt, 0, NULL, 4, &n) == SIO_ERR_NULL_ARG, "NULL out");
  CHECK(sio_next_events(rt, 0, evs, 4, NULL) == SIO_ERR_NULL_ARG, "NULL count");
  CHECK(sio_next_events(NULL, 0, evs, 4, &n) == SIO_ERR_NULL_ARG, "NULL rt");

  sio_socket_free(s);
  sio_client_free(cl);
  sio_server_free(srv);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
