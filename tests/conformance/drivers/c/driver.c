/* The sio (C ABI, libsio) driver of the conformance matrix: `driver server|client`.
 *
 * One JSON command per line on stdin, replies and observations as JSON lines on stdout
 * (tests/conformance/README.md). The runner talks to this driver in "placeholder" mode:
 * event arguments are socket.io's own form, a JSON array with {"_placeholder":true,"num":N}
 * plus a "bufs" list of base64 strings, which is what libsio takes and gives, so arguments
 * pass through as raw JSON text. The JSON handling below is the minimum the protocol needs:
 * find a member of an object, walk an array, unescape a string.
 *
 * Events are delivered by callback on runtime threads; one mutex guards stdout and the
 * tables. No blocking sio call (listen, fetch_sockets, close, free) is made with it held. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio.h"

#include "minijson.h"

/* `args` (raw JSON array) and `bufs` (base64 strings) of a command */
typedef struct {
    span args;
    sio_buf *bufs;
    uint8_t **mem;
    size_t n;
} args_t;

static args_t args_of(span cmd) {
    args_t a = {{"[]", 2}, NULL, NULL, 0};
    get(cmd, "args", &a.args);
    span arr, el;
    if (get(cmd, "bufs", &arr)) {
        const char *cur = NULL;
        size_t count = 0;
        while (next(arr, &cur, &el)) count++;
        a.bufs = calloc(count + 1, sizeof *a.bufs);
        a.mem = calloc(count + 1, sizeof *a.mem);
        cur = NULL;
        while (next(arr, &cur, &el)) {
            char *s = str(el);
            size_t len = 0;
            a.mem[a.n] = b64_decode(s ? s : "", s ? strlen(s) : 0, &len);
            a.bufs[a.n].ptr = a.mem[a.n];
            a.bufs[a.n].len = len;
            a.n++;
            free(s);
        }
    }
    return a;
}
static void args_free(args_t *a) {
    for (size_t i = 0; i < a->n; i++) free(a->mem[i]);
    free(a->mem);
    free(a->bufs);
}

/* the strings of an array member (`rooms`, `except`) as the ABI's list */
typedef struct {
    sio_str *v;
    char **mem;
    size_t n;
} strs_t;

static strs_t strs_of(span cmd, const char *key) {
    strs_t r = {NULL, NULL, 0};
    span arr, el;
    const char *cur = NULL;
    if (!get(cmd, key, &arr)) return r;
    size_t count = 0;
    while (next(arr, &cur, &el)) count++;
    r.v = calloc(count + 1, sizeof *r.v);
    r.mem = calloc(count + 1, sizeof *r.mem);
    cur = NULL;
    while (next(arr, &cur, &el)) {
        char *s = str(el);
        if (!s) continue;
        r.mem[r.n] = s;
        r.v[r.n].ptr = s;
        r.v[r.n].len = strlen(s);
        r.n++;
    }
    return r;
}
static void strs_free(strs_t *s) {
    for (size_t i = 0; i < s->n; i++) free(s->mem[i]);
    free(s->mem);
    free(s->v);
}

/* ------------------------------------------------------------------ output */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* stdout and the tables */

/* writes one line; the caller holds `mu` */
static void emit_line(sb *b) {
    fwrite(b->p, 1, b->n, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(b->p);
    b->p = NULL;
}
static void out_locked(sb *b) {
    pthread_mutex_lock(&mu);
    emit_line(b);
    pthread_mutex_unlock(&mu);
}

/* "args":[...],"bufs":[...] */
static void sb_args(sb *b, const char *json, size_t len, const sio_buf *bufs, size_t n) {
    sb_s(b, ",\"args\":");
    if (json && len) sb_add(b, json, len);
    else sb_s(b, "[]");
    sb_s(b, ",\"bufs\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) sb_s(b, ",");
        sb_b64(b, bufs[i].ptr, bufs[i].len);
    }
    sb_s(b, "]");
}

static char *status_msg(sio_status st) {
    sb b = {0};
    sb_s(&b, sio_status_str(st));
    const char *d = sio_last_error();
    if (d && *d) {
        sb_s(&b, ": ");
        sb_s(&b, d);
    }
    return b.p;
}

/* ------------------------------------------------------------------ state */
typedef struct {
    char *key;
    sio_ack *ack;
} ack_entry;
typedef struct {
    char *id;
    sio_socket *sock;
} sock_entry;
typedef struct {
    char *name;    /* runner's client name */
    char *manager; /* the name its Manager's events carry */
    char *ns;
    sio_client *client;
    uint64_t source;
} client_entry;
typedef struct {
    char *ns, *message, *data; /* data: raw JSON or NULL */
} refusal;

static sio_runtime *rt;
static bool is_server;
static sio_server *server;
static sock_entry *socks;
static size_t nsocks;
static ack_entry *acks;
static size_t nacks;
static unsigned long ack_seq;
static client_entry *clients;
static size_t nclients;
static refusal *refusals;
static size_t nrefusals;
static char **events;
static size_t nevents;

static bool wanted(const char *name, size_t len) {
    for (size_t i = 0; i < nevents; i++)
        if (strlen(events[i]) == len && memcmp(events[i], name, len) == 0) return true;
    return false;
}

/* stores a clone of `ack`; returns its key (owned by the table). Caller holds `mu`. */
static const char *keep_ack(const sio_ack *ack) {
    sio_ack *copy;
    if (sio_ack_clone(ack, &copy) != SIO_OK) return NULL;
    acks = realloc(acks, (nacks + 1) * sizeof *acks);
    char key[32];
    snprintf(key, sizeof key, "k%lu", ++ack_seq);
    acks[nacks].key = strdup(key);
    acks[nacks].ack = copy;
    return acks[nacks++].key;
}

static sio_socket *find_socket(const char *id) { /* caller holds mu */
    for (size_t i = 0; i < nsocks; i++)
        if (strcmp(socks[i].id, id) == 0) return socks[i].sock;
    return NULL;
}

static client_entry *find_client_by_source(uint64_t source) {
    for (size_t i = 0; i < nclients; i++)
        if (clients[i].source == source) return &clients[i];
    return NULL;
}

static void sb_rooms(sb *b, const sio_socket *s) {
    char *rooms = NULL;
    size_t len = 0;
    if (sio_socket_rooms_json(s, &rooms, &len) == SIO_OK) {
        sb_add(b, rooms, len);
        sio_string_free(rooms);
    } else {
        sb_s(b, "[]");
    }
}

/* ------------------------------------------------------------------ events */
static void on_server_event(const sio_event *ev, sb *b) {
    /* a closed server's late events (its disconnects) are reported too: the runner keeps
     * only the sockets of the scenario it plays */
    const sio_socket *s = ev->socket;
    const char *id = s ? sio_socket_id(s) : "";
    switch (ev->kind) {
    case SIO_EVENT_MIDDLEWARE: {
        for (size_t i = 0; i < nrefusals; i++) {
            if (strlen(refusals[i].ns) == ev->ns_len && memcmp(refusals[i].ns, ev->ns, ev->ns_len) == 0) {
                const char *d = refusals[i].data;
                sio_middleware_refuse(ev->decision, refusals[i].message, strlen(refusals[i].message), d, d ? strlen(d) : 0);
                return;
            }
        }
        sio_middleware_accept(ev->decision);
        return;
    }
    case SIO_EVENT_CONNECTION: {
        sio_socket *copy;
        if (sio_socket_clone(s, &copy) == SIO_OK) {
            socks = realloc(socks, (nsocks + 1) * sizeof *socks);
            socks[nsocks].id = strdup(id);
            socks[nsocks++].sock = copy;
        }
        sb_s(b, "{\"ev\":\"connection\",\"ns\":");
        sb_q(b, ev->ns, ev->ns_len);
        sb_s(b, ",\"id\":");
        sb_qs(b, id);
        sb_s(b, ",\"conn\":");
        sb_qs(b, sio_socket_conn_id(s));
        sb_s(b, ",\"transport\":");
        sb_qs(b, sio_socket_transport(s));
        sb_f(b, ",\"recovered\":%s,\"auth\":", sio_socket_recovered(s) ? "true" : "false");
        char *hs = NULL;
        size_t hlen = 0;
        span auth;
        if (sio_socket_handshake_json(s, &hs, &hlen) == SIO_OK && get((span){hs, hlen}, "auth", &auth)) sb_add(b, auth.p, auth.n);
        else sb_s(b, "{}");
        sio_string_free(hs);
        sb_s(b, ",\"rooms\":");
        sb_rooms(b, s);
        sb_s(b, "}");
        break;
    }
    case SIO_EVENT_MESSAGE: {
        if (!wanted(ev->name, ev->name_len)) return;
        sb_s(b, "{\"ev\":\"event\",\"ns\":");
        sb_q(b, ev->ns, ev->ns_len);
        sb_s(b, ",\"id\":");
        sb_qs(b, id);
        sb_s(b, ",\"name\":");
        sb_q(b, ev->name, ev->name_len);
        sb_args(b, ev->args_json, ev->args_json_len, ev->bufs, ev->n_bufs);
        sb_s(b, ",\"ack\":");
        const char *key = ev->ack ? keep_ack(ev->ack) : NULL;
        if (key) sb_qs(b, key);
        else sb_s(b, "null");
        sb_s(b, "}");
        break;
    }
    case SIO_EVENT_DISCONNECTING:
    case SIO_EVENT_DISCONNECT: {
        bool ing = ev->kind == SIO_EVENT_DISCONNECTING;
        sb_f(b, "{\"ev\":\"%s\",\"ns\":", ing ? "disconnecting" : "disconnect");
        sb_q(b, ev->ns, ev->ns_len);
        sb_s(b, ",\"id\":");
        sb_qs(b, id);
        sb_s(b, ",\"reason\":");
        sb_qs(b, sio_disconnect_reason_str(ev->reason));
        if (ing) {
            sb_s(b, ",\"rooms\":");
            sb_rooms(b, s);
        } else {
            for (size_t i = 0; i < nsocks; i++) {
                if (strcmp(socks[i].id, id) == 0) {
                    sio_socket_free(socks[i].sock);
                    free(socks[i].id);
                    socks[i] = socks[--nsocks];
                    break;
                }
            }
        }
        sb_s(b, "}");
        break;
    }
    case SIO_EVENT_UPGRADE:
        sb_s(b, "{\"ev\":\"upgrade\",\"conn\":");
        sb_q(b, ev->name, ev->name_len);
        sb_s(b, ",\"transport\":");
        sb_q(b, ev->message, ev->message_len);
        sb_s(b, "}");
        break;
    default:
        return;
    }
}

static void on_client_event(const sio_event *ev, sb *b) {
    client_entry *c = find_client_by_source(ev->source_id);
    if (!c) return; /* closed */
    switch (ev->kind) {
    case SIO_EVENT_CLIENT_CONNECT:
        sb_s(b, "{\"ev\":\"connect\",\"client\":");
        sb_qs(b, c->name);
        sb_s(b, ",\"id\":");
        sb_qs(b, sio_client_socket_id(c->client));
        sb_f(b, ",\"recovered\":%s}", sio_client_recovered(c->client) ? "true" : "false");
        break;
    case SIO_EVENT_CLIENT_CONNECT_ERROR:
        sb_s(b, "{\"ev\":\"connect_error\",\"client\":");
        sb_qs(b, c->name);
        sb_s(b, ",\"message\":");
        sb_q(b, ev->message, ev->message_len);
        sb_s(b, ",\"data\":");
        sb_raw(b, ev->data_json, ev->data_json_len);
        sb_f(b, ",\"active\":%s}", ev->active ? "true" : "false");
        break;
    case SIO_EVENT_CLIENT_DISCONNECT:
        sb_s(b, "{\"ev\":\"disconnect\",\"client\":");
        sb_qs(b, c->name);
        sb_s(b, ",\"reason\":");
        sb_qs(b, sio_disconnect_reason_str(ev->reason));
        sb_f(b, ",\"active\":%s}", ev->active ? "true" : "false");
        break;
    case SIO_EVENT_CLIENT_MESSAGE: {
        if (!wanted(ev->name, ev->name_len)) return;
        sb_s(b, "{\"ev\":\"event\",\"client\":");
        sb_qs(b, c->name);
        sb_s(b, ",\"name\":");
        sb_q(b, ev->name, ev->name_len);
        sb_args(b, ev->args_json, ev->args_json_len, ev->bufs, ev->n_bufs);
        sb_s(b, ",\"ack\":");
        const char *key = ev->ack ? keep_ack(ev->ack) : NULL;
        if (key) sb_qs(b, key);
        else sb_s(b, "null");
        sb_s(b, "}");
        break;
    }
    case SIO_EVENT_RECONNECT_ATTEMPT:
    case SIO_EVENT_RECONNECT:
        sb_f(b, "{\"ev\":\"%s\",\"client\":", ev->kind == SIO_EVENT_RECONNECT ? "reconnect" : "reconnect_attempt");
        sb_qs(b, c->manager);
        sb_f(b, ",\"attempt\":%u}", ev->attempt);
        break;
    case SIO_EVENT_RECONNECT_ERROR:
        sb_s(b, "{\"ev\":\"reconnect_error\",\"client\":");
        sb_qs(b, c->manager);
        sb_s(b, ",\"message\":");
        sb_q(b, ev->message, ev->message_len);
        sb_s(b, "}");
        break;
    case SIO_EVENT_RECONNECT_FAILED:
        sb_s(b, "{\"ev\":\"reconnect_failed\",\"client\":");
        sb_qs(b, c->manager);
        sb_s(b, "}");
        break;
    default:
        return;
    }
}

static void on_event(void *ud, const sio_event *ev) {
    (void)ud;
    sb b = {0};
    pthread_mutex_lock(&mu);
    if (is_server) on_server_event(ev, &b);
    else on_client_event(ev, &b);
    if (b.p) emit_line(&b);
    pthread_mutex_unlock(&mu);
}

/* the answer to an emit with ack; `ud` is the JSON prefix of the observation */
static void on_ack(void *ud, sio_ack_outcome outcome, const char *json, size_t len, const sio_buf *bufs, size_t n) {
    sb b = {0};
    sb_s(&b, (char *)ud);
    free(ud);
    if (outcome == SIO_ACK_ANSWERED) sb_args(&b, json, len, bufs, n);
    else sb_s(&b, outcome == SIO_ACK_TIMED_OUT ? ",\"error\":\"operation has timed out\"" : ",\"error\":\"disconnected\"");
    sb_s(&b, "}");
    out_locked(&b);
}

/* ------------------------------------------------------------------ commands */
/* Each returns NULL (ok, with `extra` members appended to the reply) or an error message. */
typedef char *(*command_fn)(span cmd, sb *extra);

static char *err(const char *m) { return strdup(m); }

static sio_socket *socket_arg(span cmd, const char *key) {
    char *id = get_str(cmd, key);
    if (!id) return NULL;
    sio_socket *copy = NULL;
    pthread_mutex_lock(&mu);
    sio_socket *s = find_socket(id);
    if (s) sio_socket_clone(s, &copy);
    pthread_mutex_unlock(&mu);
    free(id);
    return copy;
}

static char *server_close(span cmd, sb *extra) {
    (void)cmd;
    (void)extra;
    sio_server *srv = server;
    server = NULL;
    if (srv) {
        sio_server_close(srv);
        sio_server_free(srv);
    }
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nsocks; i++) {
        sio_socket_free(socks[i].sock);
        free(socks[i].id);
    }
    nsocks = 0;
    for (size_t i = 0; i < nacks; i++) {
        sio_ack_free(acks[i].ack);
        free(acks[i].key);
    }
    nacks = 0;
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void set_events(span cmd) {
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nevents; i++) free(events[i]);
    nevents = 0;
    span arr, el;
    const char *cur = NULL;
    if (get(cmd, "events", &arr)) {
        while (next(arr, &cur, &el)) {
            events = realloc(events, (nevents + 1) * sizeof *events);
            events[nevents++] = str(el);
        }
    }
    pthread_mutex_unlock(&mu);
}

static uint32_t transports_of(span opts) {
    span arr, el;
    const char *cur = NULL;
    if (!get(opts, "transports", &arr)) return SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET;
    uint32_t t = 0;
    while (next(arr, &cur, &el)) {
        char *s = str(el);
        if (s && strcmp(s, "polling") == 0) t |= SIO_TRANSPORT_POLLING;
        if (s && strcmp(s, "websocket") == 0) t |= SIO_TRANSPORT_WEBSOCKET;
        free(s);
    }
    return t;
}

static char *server_listen(span cmd, sb *extra) {
    server_close(cmd, extra);
    span opts = {"{}", 2}, rec;
    get(cmd, "options", &opts);
    sio_server_options o;
    sio_server_options_default(&o);
    double d;
    if (get_num(opts, "pingInterval", &d)) o.ping_interval_ms = (uint32_t)d;
    if (get_num(opts, "pingTimeout", &d)) o.ping_timeout_ms = (uint32_t)d;
    if (get_num(opts, "connectTimeout", &d)) o.connect_timeout_ms = (uint32_t)d;
    o.transports = transports_of(opts);
    o.cors_any_origin = true;
    if (get(opts, "recovery", &rec) && rec.p[0] == '{') {
        o.recovery = true;
        o.recovery_max_disconnection_ms = get_num(rec, "maxDisconnectionDuration", &d) ? (uint32_t)d : 60000;
    }
    /* "parser": "default" | "msgpack" (the runner's --parser); libsio copies the name */
    char *parser = get_str(opts, "parser");
    o.parser = parser;
    set_events(cmd);
    sio_server *srv;
    sio_status st = sio_server_new(rt, &o, &srv);
    free(parser);
    if (st != SIO_OK) return status_msg(st);
    /* namespaces: {"/admin": {"refuse": {"message", "data"}}, "/a": {}} */
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nrefusals; i++) {
        free(refusals[i].ns);
        free(refusals[i].message);
        free(refusals[i].data);
    }
    nrefusals = 0;
    pthread_mutex_unlock(&mu);
    span nss;
    if (get(cmd, "namespaces", &nss)) {
        const char *p = ws(nss.p, nss.p + nss.n) + 1, *e = nss.p + nss.n;
        for (;;) {
            p = ws(p, e);
            if (p >= e || *p != '"') break;
            const char *kend = skip_string(p, e);
            char *ns = str((span){p, (size_t)(kend - p)});
            p = ws(ws(kend, e) + 1, e);
            const char *vend = skip_value(p, e);
            span def = {p, (size_t)(vend - p)}, refuse;
            bool refuses = get(def, "refuse", &refuse);
            if (refuses) {
                span data;
                pthread_mutex_lock(&mu);
                refusals = realloc(refusals, (nrefusals + 1) * sizeof *refusals);
                refusals[nrefusals].ns = strdup(ns);
                refusals[nrefusals].message = get_str(refuse, "message");
                if (!refusals[nrefusals].message) refusals[nrefusals].message = strdup("");
                refusals[nrefusals].data = get(refuse, "data", &data) ? strndup(data.p, data.n) : NULL;
                nrefusals++;
                pthread_mutex_unlock(&mu);
            }
            sio_server_namespace(srv, ns, strlen(ns), refuses);
            free(ns);
            p = ws(vend, e);
            if (p < e && *p == ',') p++;
        }
    }
    uint16_t port = 0;
    st = sio_server_listen(srv, "127.0.0.1:0", 11, &port);
    if (st != SIO_OK) {
        char *m = status_msg(st);
        sio_server_close(srv);
        sio_server_free(srv);
        return m;
    }
    server = srv;
    sb_f(extra, ",\"port\":%u", port);
    return NULL;
}

static char *server_emit(span cmd, sb *extra) {
    (void)extra;
    char *event = get_str(cmd, "event");
    char *ns = get_str(cmd, "ns");
    strs_t rooms = strs_of(cmd, "rooms"), excepts = strs_of(cmd, "except");
    args_t a = args_of(cmd);
    char *res = NULL;
    span tag;
    sio_status st = SIO_OK;
    sio_socket *s = NULL;
    if (!event) {
        res = err("missing event");
    } else if (get(cmd, "ackTag", &tag)) {
        if (!(s = socket_arg(cmd, "socket"))) {
            res = err("no connected socket");
        } else {
            double t = 5000;
            get_num(cmd, "ackTimeout", &t);
            sb prefix = {0};
            sb_s(&prefix, "{\"ev\":\"ack\",\"tag\":");
            sb_add(&prefix, tag.p, tag.n);
            st = sio_socket_emit_with_ack(s, event, strlen(event), a.args.p, a.args.n, a.bufs, a.n, (uint32_t)t, on_ack, prefix.p);
            if (st != SIO_OK) free(prefix.p);
        }
    } else if (get(cmd, "socket", &tag)) {
        if (!(s = socket_arg(cmd, "socket"))) res = err("no connected socket");
        else st = sio_socket_emit(s, event, strlen(event), a.args.p, a.args.n, a.bufs, a.n);
    } else if (get(cmd, "from", &tag)) {
        if (!(s = socket_arg(cmd, "from"))) res = err("no connected socket");
        else st = sio_socket_broadcast_rooms(s, rooms.v, rooms.n, excepts.v, excepts.n, event, strlen(event), a.args.p, a.args.n, a.bufs, a.n);
    } else if (!server) {
        res = err("not listening");
    } else {
        st = sio_server_emit_rooms(server, ns, ns ? strlen(ns) : 0, rooms.v, rooms.n, excepts.v, excepts.n, event, strlen(event), a.args.p, a.args.n, a.bufs, a.n);
    }
    if (!res && st != SIO_OK) res = status_msg(st);
    sio_socket_free(s);
    args_free(&a);
    free(event);
    free(ns);
    strs_free(&rooms);
    strs_free(&excepts);
    return res;
}

static char *do_ack(span cmd, sb *extra) {
    (void)extra;
    char *key = get_str(cmd, "ack");
    sio_ack *ack = NULL;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; key && i < nacks; i++) {
        if (strcmp(acks[i].key, key) == 0) {
            ack = acks[i].ack;
            free(acks[i].key);
            acks[i] = acks[--nacks];
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    free(key);
    if (!ack) return err("no pending ack");
    args_t a = args_of(cmd);
    sio_status st = sio_ack_send(ack, a.args.p, a.args.n, a.bufs, a.n);
    args_free(&a);
    sio_ack_free(ack);
    return st == SIO_OK ? NULL : status_msg(st);
}

static char *server_join(span cmd, sb *extra) {
    (void)extra;
    sio_socket *s = socket_arg(cmd, "socket");
    if (!s) return err("no connected socket");
    span arr, el;
    const char *cur = NULL;
    if (get(cmd, "rooms", &arr)) {
        while (next(arr, &cur, &el)) {
            char *r = str(el);
            if (r) sio_socket_join(s, r, strlen(r));
            free(r);
        }
    }
    sio_socket_free(s);
    return NULL;
}

static char *server_leave(span cmd, sb *extra) {
    (void)extra;
    sio_socket *s = socket_arg(cmd, "socket");
    if (!s) return err("no connected socket");
    char *r = get_str(cmd, "room");
    if (r) sio_socket_leave(s, r, strlen(r));
    free(r);
    sio_socket_free(s);
    return NULL;
}

static char *server_rooms(span cmd, sb *extra) {
    sio_socket *s = socket_arg(cmd, "socket");
    if (!s) return err("no connected socket");
    sb_s(extra, ",\"rooms\":");
    sb_rooms(extra, s);
    sio_socket_free(s);
    return NULL;
}

static char *server_set_data(span cmd, sb *extra) {
    (void)extra;
    sio_socket *s = socket_arg(cmd, "socket");
    if (!s) return err("no connected socket");
    span data = {"null", 4};
    get(cmd, "data", &data);
    sio_status st = sio_socket_set_data_json(s, data.p, data.n);
    sio_socket_free(s);
    return st == SIO_OK ? NULL : status_msg(st);
}

static char *server_fetch(span cmd, sb *extra) {
    if (!server) return err("not listening");
    char *ns = get_str(cmd, "ns");
    char *json = NULL;
    size_t len = 0;
    sio_status st = sio_server_fetch_sockets_json(server, ns, ns ? strlen(ns) : 0, &json, &len);
    free(ns);
    if (st != SIO_OK) return status_msg(st);
    sb_s(extra, ",\"sockets\":");
    sb_add(extra, json, len);
    sio_string_free(json);
    return NULL;
}

static char *server_transport(span cmd, sb *extra) {
    sio_socket *s = socket_arg(cmd, "socket");
    if (!s) return err("no connected socket");
    sb_s(extra, ",\"transport\":");
    sb_qs(extra, sio_socket_transport(s));
    sio_socket_free(s);
    return NULL;
}

static char *server_disconnect(span cmd, sb *extra) {
    (void)extra;
    sio_socket *s = socket_arg(cmd, "socket");
    if (!s) return err("no connected socket");
    sio_status st = sio_socket_disconnect(s, get_bool(cmd, "close", false));
    sio_socket_free(s);
    return st == SIO_OK ? NULL : status_msg(st);
}

/* ---- client role */
static sio_client *client_arg(span cmd) {
    char *name = get_str(cmd, "client");
    sio_client *c = NULL;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; name && i < nclients; i++)
        if (strcmp(clients[i].name, name) == 0) c = clients[i].client;
    pthread_mutex_unlock(&mu);
    free(name);
    return c; /* stays valid: only `close` (this thread) frees clients */
}

static char *client_connect(span cmd, sb *extra) {
    (void)extra;
    span specs, spec, opts = {"{}", 2};
    const char *cur = NULL;
    if (!get(cmd, "sockets", &specs) || !next(specs, &cur, &spec)) return err("no sockets");
    get(cmd, "options", &opts);
    set_events(cmd);
    sio_client_options o;
    sio_client_options_default(&o);
    double d;
    o.transports = transports_of(opts);
    o.upgrade = get_bool(opts, "upgrade", true);
    o.reconnection = get_bool(opts, "reconnection", true);
    if (get_num(opts, "reconnectionAttempts", &d)) o.reconnection_attempts = (uint32_t)d;
    if (get_num(opts, "reconnectionDelay", &d)) o.reconnection_delay_ms = (uint32_t)d;
    if (get_num(opts, "reconnectionDelayMax", &d)) o.reconnection_delay_max_ms = (uint32_t)d;
    if (get_num(opts, "randomizationFactor", &d)) o.randomization_factor = d;
    if (get_num(opts, "timeout", &d)) o.timeout_ms = (uint32_t)d;
    char *parser = get_str(opts, "parser"); /* "default" | "msgpack": the runner's --parser */
    o.parser = parser;
    char *url = get_str(cmd, "url");
    char *manager = get_str(cmd, "manager");
    char *res = NULL;
    /* The Manager is the first socket's client: the others open their namespace over its
     * connection (sio_client_socket), and its events come with the oldest one's id. */
    sio_client *first = NULL;
    /* hold the table lock so each new client's first events find it */
    pthread_mutex_lock(&mu);
    cur = NULL;
    while (!res && next(specs, &cur, &spec)) {
        span auth;
        char *auth_json = get(spec, "auth", &auth) ? strndup(auth.p, auth.n) : NULL;
        char *ns = get_str(spec, "ns");
        char *name = get_str(spec, "client");
        if (!ns) ns = strdup("/");
        sio_client *c = NULL;
        sio_status st;
        if (!first) {
            o.auth_json = auth_json;
            sb full = {0};
            sb_s(&full, url ? url : "");
            sb_s(&full, ns);
            st = sio_client_new(rt, full.p, full.n, &o, &c);
            free(full.p);
            first = c;
        } else {
            st = sio_client_socket(first, ns, strlen(ns), auth_json, auth_json ? strlen(auth_json) : 0, &c);
        }
        if (st == SIO_OK) {
            clients = realloc(clients, (nclients + 1) * sizeof *clients);
            clients[nclients].name = name;
            clients[nclients].manager = strdup(manager ? manager : name ? name : "");
            clients[nclients].ns = ns;
            clients[nclients].client = c;
            clients[nclients].source = sio_client_id(c);
            nclients++;
            name = ns = NULL;
        } else {
            res = status_msg(st);
        }
        free(auth_json);
        free(ns);
        free(name);
    }
    pthread_mutex_unlock(&mu);
    free(url);
    free(manager);
    free(parser);
    return res;
}

static char *client_emit(span cmd, sb *extra) {
    (void)extra;
    sio_client *c = client_arg(cmd);
    if (!c) return err("no client");
    char *event = get_str(cmd, "event");
    if (!event) return err("missing event");
    args_t a = args_of(cmd);
    span tag;
    sio_status st;
    if (get(cmd, "ackTag", &tag)) {
        double t = 0;
        get_num(cmd, "ackTimeout", &t);
        char *name = get_str(cmd, "client");
        sb prefix = {0};
        sb_s(&prefix, "{\"ev\":\"ack\",\"client\":");
        sb_qs(&prefix, name);
        sb_s(&prefix, ",\"tag\":");
        sb_add(&prefix, tag.p, tag.n);
        free(name);
        st = sio_client_emit_with_ack(c, event, strlen(event), a.args.p, a.args.n, a.bufs, a.n, (uint32_t)t, on_ack, prefix.p);
        if (st != SIO_OK) free(prefix.p);
    } else {
        st = sio_client_emit(c, event, strlen(event), a.args.p, a.args.n, a.bufs, a.n);
    }
    args_free(&a);
    free(event);
    return st == SIO_OK ? NULL : status_msg(st);
}

static char *client_disconnect(span cmd, sb *extra) {
    (void)extra;
    sio_client *c = client_arg(cmd);
    if (!c) return err("no client");
    sio_status st = sio_client_disconnect(c);
    return st == SIO_OK ? NULL : status_msg(st);
}

static char *client_state(span cmd, sb *extra) {
    sio_client *c = client_arg(cmd);
    if (!c) return err("no client");
    pthread_mutex_lock(&mu);
    const char *id = sio_client_socket_id(c);
    sb_f(extra, ",\"connected\":%s,\"active\":%s,\"recovered\":%s,\"id\":", sio_client_connected(c) ? "true" : "false",
         sio_client_active(c) ? "true" : "false", sio_client_recovered(c) ? "true" : "false");
    if (id) sb_qs(extra, id);
    else sb_s(extra, "null");
    pthread_mutex_unlock(&mu);
    return NULL;
}

static char *client_close(span cmd, sb *extra) {
    (void)cmd;
    (void)extra;
    pthread_mutex_lock(&mu);
    client_entry *list = clients;
    size_t n = nclients;
    clients = NULL;
    nclients = 0;
    for (size_t i = 0; i < nacks; i++) {
        sio_ack_free(acks[i].ack);
        free(acks[i].key);
    }
    nacks = 0;
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < n; i++) {
        sio_client_free(list[i].client);
        free(list[i].name);
        free(list[i].manager);
        free(list[i].ns);
    }
    free(list);
    return NULL;
}

typedef struct {
    const char *name;
    command_fn fn;
} command;

static const command SERVER_COMMANDS[] = {
    {"listen", server_listen}, {"close", server_close}, {"emit", server_emit}, {"ack", do_ack},
    {"join", server_join}, {"leave", server_leave}, {"rooms", server_rooms}, {"setData", server_set_data},
    {"fetchSockets", server_fetch}, {"disconnect", server_disconnect}, {"transport", server_transport}, {NULL, NULL},
};
static const command CLIENT_COMMANDS[] = {
    {"connect", client_connect}, {"close", client_close}, {"emit", client_emit}, {"ack", do_ack},
    {"disconnect", client_disconnect}, {"state", client_state}, {NULL, NULL},
};

int main(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
        fprintf(stderr, "usage: %s server|client\n", argv[0]);
        return 2;
    }
    is_server = strcmp(argv[1], "server") == 0;
    if (sio_runtime_new(2, on_event, NULL, NULL, &rt) != SIO_OK) {
        fprintf(stderr, "sio_runtime_new: %s\n", sio_last_error());
        return 1;
    }
    sb b = {0};
    sb_f(&b, "{\"ev\":\"ready\",\"lib\":\"sio-c\",\"role\":\"%s\"}", argv[1]);
    out_locked(&b);
    const command *table = is_server ? SERVER_COMMANDS : CLIENT_COMMANDS;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        span cmd = {line, (size_t)len};
        span id = {"null", 4};
        get(cmd, "id", &id);
        char *name = get_str(cmd, "cmd");
        command_fn fn = NULL;
        for (const command *c = table; name && c->name; c++)
            if (strcmp(c->name, name) == 0) fn = c->fn;
        sb extra = {0};
        sb_s(&extra, "");
        char *error = fn ? fn(cmd, &extra) : err("unknown command");
        sb r = {0};
        sb_s(&r, "{\"re\":");
        sb_add(&r, id.p, id.n);
        if (error) {
            sb_s(&r, ",\"ok\":false,\"error\":");
            sb_qs(&r, error);
        } else {
            sb_s(&r, ",\"ok\":true");
            sb_s(&r, extra.p);
        }
        sb_s(&r, "}");
        out_locked(&r);
        free(extra.p);
        free(error);
        free(name);
    }
    free(line);
    if (is_server) server_close((span){"{}", 2}, NULL);
    else client_close((span){"{}", 2}, NULL);
    sio_runtime_free(rt);
    return 0;
}
