// C++17 test of include/sio.hpp: RAII handles, move-only types, std::function handlers
// dispatched from the C callback, acks as lambdas (exactly once), exceptions carrying
// sio_status + sio_last_error, queue mode through Runtime::next_event.
#include "sio.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <type_traits>

#include <unistd.h>  // alarm: the watchdog (default SIGALRM action ends the process)

#define CHECK(cond, ...)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "FAIL test_cpp (%s:%d): check `%s` failed: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                              \
      std::fprintf(stderr, "\n");                                                     \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

static double scale() {
  const char* s = std::getenv("SIO_TEST_SCALE");
  double v = s ? std::atof(s) : 1.0;
  return v >= 1.0 ? v : 1.0;
}
static std::chrono::milliseconds ms(int v) { return std::chrono::milliseconds(static_cast<int>(v * scale())); }

static_assert(!std::is_copy_constructible_v<sio::Runtime> && std::is_nothrow_move_constructible_v<sio::Runtime>);
static_assert(!std::is_copy_constructible_v<sio::Server> && std::is_nothrow_move_constructible_v<sio::Server>);
static_assert(!std::is_copy_constructible_v<sio::Client> && std::is_nothrow_move_constructible_v<sio::Client>);
static_assert(!std::is_copy_constructible_v<sio::Socket> && std::is_nothrow_move_constructible_v<sio::Socket>);

// What the handler saw, copied out of the borrowed event.
struct Seen {
  sio_event_kind kind;
  uint64_t source;
  std::string name, args, ns, message, data;
  sio_disconnect_reason reason;
  std::shared_ptr<sio::Socket> socket;
};

class Inbox {
 public:
  void push(Seen s) {
    std::lock_guard<std::mutex> g(mu_);
    q_.push_back(std::move(s));
    cv_.notify_all();
  }
  Seen wait(sio_event_kind kind, uint64_t source, const char* name = nullptr, int timeout = 10000) {
    std::unique_lock<std::mutex> g(mu_);
    auto deadline = std::chrono::steady_clock::now() + ms(timeout);
    for (;;) {
      for (auto it = q_.begin(); it != q_.end(); ++it) {
        if (it->kind == kind && (!source || it->source == source) && (!name || it->name == name)) {
          Seen s = std::move(*it);
          q_.erase(it);
          return s;
        }
      }
      if (cv_.wait_until(g, deadline) == std::cv_status::timeout) {
        std::fprintf(stderr, "FAIL test_cpp: no event of kind %d (name %s)\n", kind, name ? name : "*");
        std::exit(1);
      }
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Seen> q_;
};

template <typename T>
static T get(std::future<T>& f, const char* what) {
  if (f.wait_for(ms(10000)) != std::future_status::ready) {
    std::fprintf(stderr, "FAIL test_cpp: `%s` never completed\n", what);
    std::exit(1);
  }
  return f.get();
}

int main() {
  alarm(static_cast<unsigned>(90 * scale()));
  auto inbox = std::make_shared<Inbox>();
  std::weak_ptr<Inbox> weak = inbox;
  int throws = 0;

  {
    sio::Runtime rt(
        [inbox, &throws](const sio::Event& ev) {
          Seen s{ev.kind(), ev.source_id(), std::string(ev.name()), std::string(ev.args_json()), std::string(ev.ns()),
                 std::string(ev.message()), std::string(ev.data_json().value_or("")), ev.reason(), nullptr};
          if (ev.socket()) s.socket = std::make_shared<sio::Socket>(ev.socket().clone());
          if (ev.kind() == SIO_EVENT_MIDDLEWARE) ev.decision().refuse("nope", "{\"why\":\"cpp\"}");
          if (ev.kind() == SIO_EVENT_MESSAGE && ev.name() == "hi" && ev.ack()) ev.ack().send("[\"hey\"]");
          if (ev.kind() == SIO_EVENT_CLIENT_MESSAGE && ev.ack()) ev.ack().send("[\"client-says\",2]");
          inbox->push(std::move(s));
          if (ev.name() == "boom") {
            ++throws;
            throw std::runtime_error("handler exceptions stay on this side of the ABI");
          }
        },
        2);

    // Errors carry the status and the detail.
    try {
      (void)rt.next_event(1);
      CHECK(false, "next_event in callback mode did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_WRONG_MODE, "status %d", e.status());
      CHECK(std::strlen(e.what()) > std::strlen(sio_status_str(SIO_ERR_WRONG_MODE)), "no detail in `%s`", e.what());
    }

    auto opts = sio::Server::default_options();
    // Invalid options throw, the detail naming the field.
    auto contradictory = opts;
    contradictory.cors_credentials = true;  // without an origin
    try {
      sio::Server refused(rt, &contradictory);
      CHECK(false, "cors_credentials without an origin did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_INVALID_ARGUMENT && std::strstr(e.what(), "\"cors_credentials\""), "%d: %s",
            e.status(), e.what());
    }
    sio::Server first(rt, &opts);
    sio::Server srv(std::move(first));  // move-only handle
    CHECK(first.get() == nullptr && srv.id() != 0, "move did not transfer the server");
    srv.add_namespace("/private", true);
    uint16_t port = srv.listen("127.0.0.1:0");
    // The admin UI: a username without a password hash throws; the defaults instrument.
    auto admin = sio::Server::default_admin_options();
    auto no_hash = admin;
    no_hash.username = "admin";
    try {
      srv.instrument(no_hash);
      CHECK(false, "a username without a password did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_INVALID_ARGUMENT, "status %d (%s)", e.status(), e.what());
    }
    srv.instrument(admin);
    try {
      srv.emit("ev", "[1,");
      CHECK(false, "invalid JSON did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_INVALID_JSON, "status %d (%s)", e.status(), e.what());
    }
    srv.emit_flags(SIO_EMIT_NO_COMPRESS | SIO_EMIT_VOLATILE, "ev", "[1]");
    try {
      srv.emit_flags(8, "ev", "[1]");
      CHECK(false, "unknown emit flags did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_INVALID_ARGUMENT, "status %d (%s)", e.status(), e.what());
    }
    try {
      srv.emit("disconnect");
      CHECK(false, "reserved event did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_RESERVED_EVENT, "status %d", e.status());
    }
    try {
      srv.add_namespace("no-slash");
      CHECK(false, "bad namespace did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_INVALID_ARGUMENT, "status %d", e.status());
    }

    // Alone (no cluster_url): a cluster of one, nobody to reach, no answers to wait for.
    CHECK(srv.server_count() == 1, "server_count %zu", srv.server_count());
    CHECK(srv.server_side_emit("hello", "[1]") == 0, "server_side_emit reached someone");
    std::promise<std::string> p0;
    auto f0 = p0.get_future();
    srv.server_side_emit_with_ack("ask", "[]", {}, [&p0](const sio::AckResult& r) {
      p0.set_value(r.outcome == SIO_ACK_ANSWERED ? std::string(r.args_json) : "outcome");
    });
    CHECK(get(f0, "server_side_emit_with_ack") == "[]", "answers of nobody");
    try {
      srv.server_side_emit("connect");
      CHECK(false, "reserved server-side event did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_RESERVED_EVENT, "status %d", e.status());
    }

    std::string base = "http://127.0.0.1:" + std::to_string(port);
    auto copts = sio::Client::default_options();
    copts.transports = SIO_TRANSPORT_WEBSOCKET;
    sio::Client cl(rt, base + "/", &copts);
    Seen conn = inbox->wait(SIO_EVENT_CONNECTION, srv.id());
    inbox->wait(SIO_EVENT_CLIENT_CONNECT, cl.id());
    CHECK(conn.socket && conn.socket->connected(), "no socket on CONNECTION");
    CHECK(conn.socket->transport() == "websocket", "transport %s", std::string(conn.socket->transport()).c_str());
    CHECK(conn.socket->conn_id().size() >= 16 && conn.socket->conn_id() != conn.socket->id(), "conn id %s",
          conn.socket->conn_id().c_str());
    CHECK(cl.socket_id() && *cl.socket_id() == conn.socket->id(), "socket ids differ");
    conn.socket->join("room1");
    CHECK(conn.socket->rooms_json().find("\"room1\"") != std::string::npos, "rooms %s", conn.socket->rooms_json().c_str());
    conn.socket->set_data_json("[true]");
    CHECK(conn.socket->data_json() == "[true]", "data %s", conn.socket->data_json().c_str());

    // client → server with ack (answered inside the handler)
    std::promise<std::string> p1;
    auto f1 = p1.get_future();
    const unsigned char bytes[] = {1, 2};
    cl.emit_with_ack("hi", "[{\"_placeholder\":true,\"num\":0}]", {sio::buf(bytes, 2)}, 5000,
                     [&p1](const sio::AckResult& r) {
                       p1.set_value(r.outcome == SIO_ACK_ANSWERED ? std::string(r.args_json) : "outcome");
                     });
    CHECK(get(f1, "hi") == "[\"hey\"]", "ack args");
    Seen hi = inbox->wait(SIO_EVENT_MESSAGE, srv.id(), "hi");
    CHECK(hi.args == "[{\"_placeholder\":true,\"num\":0}]", "hi args %s", hi.args.c_str());

    // an emit with flags reaches the client (compress(false))
    conn.socket->emit_flags(SIO_EMIT_NO_COMPRESS, "flagged", "[3]");
    CHECK(inbox->wait(SIO_EVENT_CLIENT_MESSAGE, cl.id(), "flagged").args == "[3]", "flagged args");

    // server → client with ack (answered by the client inside the handler)
    std::promise<std::string> p2;
    auto f2 = p2.get_future();
    conn.socket->emit_with_ack("q", "[]", {}, 5000, [&p2](const sio::AckResult& r) { p2.set_value(std::string(r.args_json)); });
    CHECK(get(f2, "q") == "[\"client-says\",2]", "server ack");

    // a timeout, exactly once
    std::promise<sio_ack_outcome> p3;
    auto f3 = p3.get_future();
    int calls = 0;
    srv.emit("ignored", "[]", {}, std::nullopt, std::string_view("room1"));
    cl.emit_with_ack("nobody", "", {}, 200, [&](const sio::AckResult& r) {
      if (++calls == 1) p3.set_value(r.outcome);
    });
    // the server got "nobody" but never answers; only the timeout completes it
    CHECK(get(f3, "nobody") == SIO_ACK_TIMED_OUT, "outcome");
    inbox->wait(SIO_EVENT_CLIENT_MESSAGE, cl.id(), "ignored");

    // another namespace over cl's connection: its own id and events; rooms as lists
    srv.add_namespace("/second");
    sio::Client second = cl.socket("/second", std::string_view("{\"n\":2}"));
    Seen conn2 = inbox->wait(SIO_EVENT_CONNECTION, srv.id());
    inbox->wait(SIO_EVENT_CLIENT_CONNECT, second.id());
    CHECK(second.id() != cl.id() && conn2.ns == "/second" && conn2.socket->conn_id() == conn.socket->conn_id(),
          "second namespace %s on %s", conn2.ns.c_str(), conn2.socket->conn_id().c_str());
    try {
      (void)cl.socket("/second");
      CHECK(false, "opening a namespace twice did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_INVALID_ARGUMENT, "status %d", e.status());
    }
    conn2.socket->join("room2");
    srv.emit_rooms("rooms", "[1]", {}, std::string_view("/second"), {"room2", "nope"}, {"nope2"});
    CHECK(inbox->wait(SIO_EVENT_CLIENT_MESSAGE, 0, "rooms").source == second.id(), "rooms went elsewhere");
    conn.socket->broadcast_rooms({"room1"}, {}, "alone");  // the sender is the only member
    try {
      conn.socket->broadcast_rooms({"room1"}, {}, "disconnect");
      CHECK(false, "reserved event did not throw");
    } catch (const sio::Error& e) {
      CHECK(e.status() == SIO_ERR_RESERVED_EVENT, "status %d", e.status());
    }
    second.disconnect();
    Seen left = inbox->wait(SIO_EVENT_CLIENT_DISCONNECT, second.id());
    CHECK(left.reason == SIO_REASON_IO_CLIENT_DISCONNECT && cl.connected(), "reason %d, first connected %d", left.reason,
          cl.connected());
    Seen gone = inbox->wait(SIO_EVENT_DISCONNECT, srv.id());
    CHECK(gone.ns == "/second" && gone.reason == SIO_REASON_CLIENT_NAMESPACE_DISCONNECT, "%s left with %d", gone.ns.c_str(),
          gone.reason);

    // an exception in the handler does not take the process down
    cl.emit("boom");
    inbox->wait(SIO_EVENT_MESSAGE, srv.id(), "boom");

    // middleware refusal through MiddlewareView
    sio::Client priv(rt, base + "/private", &copts);
    Seen ce = inbox->wait(SIO_EVENT_CLIENT_CONNECT_ERROR, priv.id());
    CHECK(ce.message == "nope" && ce.data == "{\"why\":\"cpp\"}", "connect_error %s %s", ce.message.c_str(), ce.data.c_str());

    // server-side disconnect → both sides
    conn.socket->disconnect();
    Seen dc = inbox->wait(SIO_EVENT_CLIENT_DISCONNECT, cl.id());
    CHECK(dc.reason == SIO_REASON_IO_SERVER_DISCONNECT, "reason %d", dc.reason);
    Seen ds = inbox->wait(SIO_EVENT_DISCONNECT, srv.id());
    CHECK(ds.reason == SIO_REASON_SERVER_NAMESPACE_DISCONNECT, "reason %d", ds.reason);
    CHECK(calls == 1, "timeout callback ran %d times", calls);
    CHECK(throws == 1, "handler threw %d times", throws);

    // queue mode through next_event
    sio::Runtime qrt(1);
    sio::Server qs(qrt);
    CHECK(!qrt.next_event(10).has_value(), "an event in an idle queue");
    uint16_t qport = qs.listen("127.0.0.1:0");
    sio::Client qc(qrt, "http://127.0.0.1:" + std::to_string(qport) + "/", &copts);
    bool got_conn = false, got_client = false;
    auto deadline = std::chrono::steady_clock::now() + ms(10000);
    while (!(got_conn && got_client) && std::chrono::steady_clock::now() < deadline) {
      if (auto ev = qrt.next_event(100)) {
        got_conn |= ev->kind() == SIO_EVENT_CONNECTION && ev->socket().connected();
        got_client |= ev->kind() == SIO_EVENT_CLIENT_CONNECT && ev->source_id() == qc.id();
      }
    }
    CHECK(got_conn && got_client, "queue mode: connection %d client %d", got_conn, got_client);
  }  // clients, servers, then runtimes are destroyed (runtime last: declared first)

  CHECK(weak.use_count() == 1, "the handler was not released by the runtime (%ld owners)", weak.use_count());
  std::printf("PASS test_cpp\n");
  return 0;
}
