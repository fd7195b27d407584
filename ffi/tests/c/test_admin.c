/* sio_server_instrument: the admin UI's namespace on a C server, read by C clients as the UI
 * reads it (config, server_stats with the server id, all_sockets listing another client, the
 * UI's _disconnect command), basic auth with a bcrypt hash (wrong password refused, right one
 * accepted), and bad options (SIO_ERR_NULL_ARG, SIO_ERR_INVALID_ARGUMENT naming the option,
 * a second call). */
#include "common.h"

static qwait q;

/* A bcrypt hash of "changeit" (cost 4), as @socket.io/admin-ui users pass it. */
static const char *HASH = "$2a$04$XKlh8AbSk2PmjDq3t.oJre3/6vr9nHUDIDg8rcX97C3VXynbuLXT2";

static sio_client *connect_to(sio_runtime *rt, const char *url, const char *auth_json) {
  sio_client_options o;
  OK(sio_client_options_default(&o));
  o.reconnection = false;
  o.auth_json = auth_json;
  sio_client *c = NULL;
  OK(sio_client_new(rt, SZ(url), &o, &c));
  return c;
}

static void expect_args(uint64_t client, const char *name, const char *needle) {
  sio_event *ev = q_wait(&q, 10000, SIO_EVENT_CLIENT_MESSAGE, client, name);
  CHECK(strstr(ev->args_json, needle) != NULL, "%s: `%s` not in %.400s", name, needle, ev->args_json);
  sio_event_free(ev);
}

int main(void) {
  t_begin("test_admin", 90);
  sio_runtime *rt = NULL;
  OK(sio_runtime_new(2, NULL, NULL, NULL, &rt));
  q.rt = rt;

  /* ---- bad options */
  sio_server *srv = NULL;
  OK(sio_server_new(rt, NULL, &srv));
  sio_admin_options a;
  OK(sio_admin_options_default(&a));
  CHECK(a.server_stats_interval_ms == 2000 && !a.readonly && a.username == NULL, "defaults");
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_instrument(srv, NULL));
  EXPECT_STATUS(SIO_ERR_NULL_ARG, sio_server_instrument(NULL, &a));
  a.mode = "staging";
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_instrument(srv, &a));
  CHECK(strstr(sio_last_error(), "mode") != NULL, "error names the mode: %s", sio_last_error());
  OK(sio_admin_options_default(&a));
  a.username = "admin";
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_instrument(srv, &a));
  a.password_bcrypt = "changeit"; /* not a hash */
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_instrument(srv, &a));
  CHECK(strstr(sio_last_error(), "bcrypt") != NULL, "error names bcrypt: %s", sio_last_error());
  OK(sio_admin_options_default(&a));
  a.server_stats_interval_ms = 0;
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_instrument(srv, &a));
  a.struct_size = 1;
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_instrument(srv, &a));

  /* ---- no auth: the events the UI reads, and its commands */
  OK(sio_admin_options_default(&a));
  a.server_id = "c-face";
  a.server_stats_interval_ms = 200;
  OK(sio_server_instrument(srv, &a));
  EXPECT_STATUS(SIO_ERR_INVALID_ARGUMENT, sio_server_instrument(srv, &a));
  CHECK(strstr(sio_last_error(), "already") != NULL, "second call: %s", sio_last_error());
  uint16_t port = 0;
  OK(sio_server_listen(srv, S("127.0.0.1:0"), &port));
  char url[128], admin_url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  snprintf(admin_url, sizeof admin_url, "http://127.0.0.1:%u/admin", port);

  sio_client *user = connect_to(rt, url, NULL);
  sio_event_free(q_wait(&q, 10000, SIO_EVENT_CLIENT_CONNECT, sio_client_id(user), NULL));
  char user_sid[64];
  snprintf(user_sid, sizeof user_sid, "%s", sio_client_socket_id(user));
  sio_client *admin = connect_to(rt, admin_url, NULL);
  uint64_t aid = sio_client_id(admin);
  expect_args(aid, "config", "\"MDISCONNECT\"");
  char needle[96];
  snprintf(needle, sizeof needle, "\"id\":\"%s\"", user_sid);
  expect_args(aid, "all_sockets", needle);
  expect_args(aid, "server_stats", "\"serverId\":\"c-face\"");
  char cmd[160];
  snprintf(cmd, sizeof cmd, "[\"/\",false,\"%s\"]", user_sid);
  OK(sio_client_emit(admin, S("_disconnect"), cmd, strlen(cmd), NULL, 0));
  sio_event *ev = q_wait(&q, 10000, SIO_EVENT_CLIENT_DISCONNECT, sio_client_id(user), NULL);
  CHECK(ev->reason == SIO_REASON_IO_SERVER_DISCONNECT, "the user's reason: %d", (int)ev->reason);
  sio_event_free(ev);
  sio_client_free(admin);
  sio_client_free(user);

  /* ---- basic auth with a bcrypt hash */
  sio_server *srv2 = NULL;
  OK(sio_server_new(rt, NULL, &srv2));
  OK(sio_admin_options_default(&a));
  a.username = "admin";
  a.password_bcrypt = HASH;
  a.namespace_name = "/ops";
  a.readonly = true;
  OK(sio_server_instrument(srv2, &a));
  OK(sio_server_listen(srv2, S("127.0.0.1:0"), &port));
  snprintf(admin_url, sizeof admin_url, "http://127.0.0.1:%u/ops", port);
  sio_client *bad = connect_to(rt, admin_url, "{\"username\":\"admin\",\"password\":\"nope\"}");
  ev = q_wait(&q, 10000, SIO_EVENT_CLIENT_CONNECT_ERROR, sio_client_id(bad), NULL);
  CHECK(ev->message && strstr(ev->message, "invalid credentials"), "refusal: %s", ev->message ? ev->message : "(null)");
  sio_event_free(ev);
  sio_client *good = connect_to(rt, admin_url, "{\"username\":\"admin\",\"password\":\"changeit\"}");
  expect_args(sio_client_id(good), "config", "[{\"supportedFeatures\":[\"AGGREGATED_EVENTS\",\"ALL_EVENTS\"]}]");
  sio_client_free(bad);
  sio_client_free(good);
  q_drop(&q); /* the events skipped while waiting (they hold sockets) */

  sio_server_free(srv2);
  sio_server_free(srv);
  sio_runtime_free(rt);
  t_pass();
  return 0;
}
