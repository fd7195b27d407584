// sio.hpp: a small header-only C++17 RAII wrapper over the C ABI in sio.h.
//
//   sio::Runtime rt([](const sio::Event& ev) { ... });   // callback mode (runtime threads)
//   sio::Runtime rt;                                       // queue mode: rt.next_event(ms)
//   sio::Server srv(rt);  uint16_t port = srv.listen("127.0.0.1:0");
//   sio::Client cl(rt, "http://127.0.0.1:" + std::to_string(port) + "/");
//   cl.emit_with_ack("hello", "[1]", {}, 5000, [](sio::AckResult r) { ... });
//
// Rules (from sio.h):
// - Every failing call throws sio::Error, which carries the sio_status and the text of
//   sio_last_error() taken on the failing thread.
// - Handles (Runtime, Server, Client, Socket, OwnedEvent, AckHandle) are move-only and free
//   their C handle once. Destroying a Runtime shuts it down (servers close, clients
//   disconnect, pending acks complete as cancelled); Servers/Clients may be destroyed
//   before or after it, but must not be used after it.
// - The event handler and ack callbacks run on runtime threads; exceptions thrown by them
//   are caught and dropped at the C boundary (never unwind through Rust). Never destroy
//   the Runtime from inside a handler.
// - Event, SocketView, AckView and MiddlewareView borrow from the event and are valid only
//   during the handler call (or while the OwnedEvent lives); keep a Socket (socket().clone())
//   or an AckHandle (ack().clone()) to use them later.
#ifndef SIO_HPP
#define SIO_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sio.h"

namespace sio {

/// A failed call: `status()` is the sio_status, `what()` the sio_last_error() detail.
class Error : public std::runtime_error {
 public:
  Error(sio_status status, const std::string& detail)
      : std::runtime_error(std::string(sio_status_str(status)) + (detail.empty() ? "" : ": " + detail)),
        status_(status) {}
  sio_status status() const noexcept { return status_; }

 private:
  sio_status status_;
};

namespace detail {
inline void check(sio_status s) {
  if (s != SIO_OK) throw Error(s, sio_last_error());
}
/// NULL for an absent optional string (the ABI's "none"), else its bytes.
inline const char* opt_ptr(const std::optional<std::string_view>& s) { return s ? s->data() : nullptr; }
inline size_t opt_len(const std::optional<std::string_view>& s) { return s ? s->size() : 0; }
/// JSON "" means "no arguments" (NULL for the ABI).
inline const char* json_ptr(std::string_view j) { return j.empty() ? nullptr : j.data(); }
/// Rooms as the ABI's array of (ptr, len); borrows from `v`.
inline std::vector<sio_str> strs(const std::vector<std::string_view>& v) {
  std::vector<sio_str> out;
  out.reserve(v.size());
  for (auto s : v) out.push_back(sio_str{s.data(), s.size()});
  return out;
}
}  // namespace detail

/// A binary buffer borrowed by a call (bytes are copied by sio before the call returns).
using Buf = sio_buf;
using Bufs = std::vector<Buf>;

inline Buf buf(const void* data, size_t len) { return Buf{static_cast<const uint8_t*>(data), len}; }

/// The outcome of an emit_with_ack; `args_json`/`bufs` are borrowed for the callback only.
struct AckResult {
  sio_ack_outcome outcome;
  std::string_view args_json;
  const sio_buf* bufs;
  size_t n_bufs;
};
using AckCallback = std::function<void(const AckResult&)>;

namespace detail {
/// The C trampoline of emit_with_ack: called exactly once, so it owns and deletes the closure.
inline void ack_trampoline(void* user_data, sio_ack_outcome outcome, const char* json, size_t json_len,
                           const sio_buf* bufs, size_t n_bufs) noexcept {
  std::unique_ptr<AckCallback> cb(static_cast<AckCallback*>(user_data));
  try {
    (*cb)(AckResult{outcome, std::string_view(json ? json : "[]", json ? json_len : 2), bufs, n_bufs});
  } catch (...) {
    // An exception must not cross into the runtime thread.
  }
}

template <typename Emit>
void emit_with_ack(Emit&& emit, AckCallback cb) {
  auto owned = std::make_unique<AckCallback>(std::move(cb));
  sio_status s = emit(&ack_trampoline, owned.get());
  if (s != SIO_OK) throw Error(s, sio_last_error());  // the closure was never handed over
  owned.release();  // the trampoline deletes it
}
}  // namespace detail

/// An owned copy of an ack handle (from AckView::clone): answer it later, from any thread.
class AckHandle {
 public:
  explicit AckHandle(sio_ack* a) noexcept : a_(a) {}
  AckHandle(AckHandle&& o) noexcept : a_(std::exchange(o.a_, nullptr)) {}
  AckHandle& operator=(AckHandle&& o) noexcept {
    if (this != &o) {
      sio_ack_free(a_);
      a_ = std::exchange(o.a_, nullptr);
    }
    return *this;
  }
  AckHandle(const AckHandle&) = delete;
  AckHandle& operator=(const AckHandle&) = delete;
  ~AckHandle() { sio_ack_free(a_); }
  /// Answers (JSON array, "" for none). Throws Error(SIO_ERR_USED) on a second answer.
  void send(std::string_view args_json = "", const Bufs& bufs = {}) const {
    detail::check(sio_ack_send(a_, detail::json_ptr(args_json), args_json.size(), bufs.data(), bufs.size()));
  }
  const sio_ack* get() const noexcept { return a_; }

 private:
  sio_ack* a_;
};

/// A borrowed ack handle (valid during the event).
class AckView {
 public:
  explicit AckView(const sio_ack* a) noexcept : a_(a) {}
  explicit operator bool() const noexcept { return a_ != nullptr; }
  void send(std::string_view args_json = "", const Bufs& bufs = {}) const {
    detail::check(sio_ack_send(a_, detail::json_ptr(args_json), args_json.size(), bufs.data(), bufs.size()));
  }
  AckHandle clone() const {
    sio_ack* out = nullptr;
    detail::check(sio_ack_clone(a_, &out));
    return AckHandle(out);
  }

 private:
  const sio_ack* a_;
};

/// A borrowed middleware decision (valid during the event).
class MiddlewareView {
 public:
  explicit MiddlewareView(const sio_middleware* d) noexcept : d_(d) {}
  explicit operator bool() const noexcept { return d_ != nullptr; }
  void accept() const { detail::check(sio_middleware_accept(d_)); }
  /// `data_json`: any JSON value, or std::nullopt for none.
  void refuse(std::string_view message, std::optional<std::string_view> data_json = std::nullopt) const {
    detail::check(sio_middleware_refuse(d_, message.data(), message.size(), detail::opt_ptr(data_json),
                                        detail::opt_len(data_json)));
  }

 private:
  const sio_middleware* d_;
};

class Socket;

/// Operations on a server-side socket; SocketView borrows, Socket owns (both use this).
class SocketOps {
 public:
  explicit operator bool() const noexcept { return s_ != nullptr; }
  std::string id() const {
    const char* id = sio_socket_id(s_);
    return id ? id : "";
  }
  /// The Engine.IO connection id (what SIO_EVENT_UPGRADE carries in name()).
  std::string conn_id() const {
    const char* id = sio_socket_conn_id(s_);
    return id ? id : "";
  }
  /// "polling" or "websocket": the connection's transport now (static storage).
  std::string_view transport() const noexcept {
    const char* t = sio_socket_transport(s_);
    return t ? t : "";
  }
  bool connected() const noexcept { return sio_socket_connected(s_); }
  bool recovered() const noexcept { return sio_socket_recovered(s_); }
  std::string handshake_json() const { return take(sio_socket_handshake_json); }
  std::string rooms_json() const { return take(sio_socket_rooms_json); }
  std::string data_json() const { return take(sio_socket_data_json); }
  void set_data_json(std::string_view json) const { detail::check(sio_socket_set_data_json(s_, json.data(), json.size())); }
  void join(std::string_view room) const { detail::check(sio_socket_join(s_, room.data(), room.size())); }
  void leave(std::string_view room) const { detail::check(sio_socket_leave(s_, room.data(), room.size())); }
  void emit(std::string_view event, std::string_view args_json = "", const Bufs& bufs = {}) const {
    detail::check(sio_socket_emit(s_, event.data(), event.size(), detail::json_ptr(args_json), args_json.size(),
                                  bufs.data(), bufs.size()));
  }
  /// emit() with SIO_EMIT_* flags (SIO_EMIT_NO_COMPRESS: socket.io's compress(false); SIO_EMIT_VOLATILE).
  void emit_flags(uint32_t flags, std::string_view event, std::string_view args_json = "", const Bufs& bufs = {}) const {
    detail::check(sio_socket_emit_flags(s_, flags, event.data(), event.size(), detail::json_ptr(args_json),
                                        args_json.size(), bufs.data(), bufs.size()));
  }
  /// `cb` runs exactly once on a runtime thread (answered / timed out / disconnected / cancelled).
  void emit_with_ack(std::string_view event, std::string_view args_json, const Bufs& bufs, uint32_t timeout_ms,
                     AckCallback cb) const {
    detail::emit_with_ack(
        [&](sio_ack_cb tramp, void* ud) {
          return sio_socket_emit_with_ack(s_, event.data(), event.size(), detail::json_ptr(args_json),
                                          args_json.size(), bufs.data(), bufs.size(), timeout_ms, tramp, ud);
        },
        std::move(cb));
  }
  void broadcast(std::optional<std::string_view> room, std::optional<std::string_view> except,
                 std::string_view event, std::string_view args_json = "", const Bufs& bufs = {}) const {
    detail::check(sio_socket_broadcast(s_, detail::opt_ptr(room), detail::opt_len(room), detail::opt_ptr(except),
                                       detail::opt_len(except), event.data(), event.size(),
                                       detail::json_ptr(args_json), args_json.size(), bufs.data(), bufs.size()));
  }
  /// socket.to([rooms...]).except([excepts...]).emit: the sender excluded, each target once
  /// (no rooms: the whole namespace).
  void broadcast_rooms(const std::vector<std::string_view>& rooms, const std::vector<std::string_view>& excepts,
                       std::string_view event, std::string_view args_json = "", const Bufs& bufs = {}) const {
    auto r = detail::strs(rooms), e = detail::strs(excepts);
    detail::check(sio_socket_broadcast_rooms(s_, r.data(), r.size(), e.data(), e.size(), event.data(), event.size(),
                                             detail::json_ptr(args_json), args_json.size(), bufs.data(),
                                             bufs.size()));
  }
  void disconnect(bool close = false) const { detail::check(sio_socket_disconnect(s_, close)); }
  /// An owned handle usable after the event.
  Socket clone() const;
  const sio_socket* get() const noexcept { return s_; }

 protected:
  explicit SocketOps(const sio_socket* s) noexcept : s_(s) {}
  const sio_socket* s_;

 private:
  std::string take(sio_status (*fn)(const sio_socket*, char**, size_t*)) const {
    char* out = nullptr;
    size_t len = 0;
    detail::check(fn(s_, &out, &len));
    std::string r(out, len);
    sio_string_free(out);
    return r;
  }
};

/// A borrowed socket (valid during the event).
class SocketView : public SocketOps {
 public:
  explicit SocketView(const sio_socket* s) noexcept : SocketOps(s) {}
};

/// An owned socket handle.
class Socket : public SocketOps {
 public:
  explicit Socket(sio_socket* s) noexcept : SocketOps(s) {}
  Socket(Socket&& o) noexcept : SocketOps(std::exchange(o.s_, nullptr)) {}
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      sio_socket_free(const_cast<sio_socket*>(s_));
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { sio_socket_free(const_cast<sio_socket*>(s_)); }
};

inline Socket SocketOps::clone() const {
  sio_socket* out = nullptr;
  detail::check(sio_socket_clone(s_, &out));
  return Socket(out);
}

/// A borrowed view of one event.
class Event {
 public:
  explicit Event(const sio_event* ev) noexcept : ev_(ev) {}
  sio_event_kind kind() const noexcept { return ev_->kind; }
  uint64_t source_id() const noexcept { return ev_->source_id; }
  SocketView socket() const noexcept { return SocketView(ev_->socket); }
  std::string_view ns() const noexcept { return {ev_->ns, ev_->ns_len}; }
  std::string_view name() const noexcept { return {ev_->name, ev_->name_len}; }
  std::string_view args_json() const noexcept { return {ev_->args_json, ev_->args_json_len}; }
  const sio_buf* bufs() const noexcept { return ev_->bufs; }
  size_t n_bufs() const noexcept { return ev_->n_bufs; }
  sio_disconnect_reason reason() const noexcept { return ev_->reason; }
  std::string_view reason_str() const noexcept { return sio_disconnect_reason_str(ev_->reason); }
  AckView ack() const noexcept { return AckView(ev_->ack); }
  MiddlewareView decision() const noexcept { return MiddlewareView(ev_->decision); }
  uint32_t attempt() const noexcept { return ev_->attempt; }
  bool active() const noexcept { return ev_->active; }
  std::string_view message() const noexcept { return {ev_->message, ev_->message_len}; }
  std::optional<std::string_view> data_json() const noexcept {
    if (!ev_->data_json) return std::nullopt;
    return std::string_view(ev_->data_json, ev_->data_json_len);
  }
  const sio_event* get() const noexcept { return ev_; }

 private:
  const sio_event* ev_;
};

/// An event from Runtime::next_event (queue mode), freed on destruction.
class OwnedEvent : public Event {
 public:
  explicit OwnedEvent(sio_event* ev) noexcept : Event(ev), owned_(ev) {}
  OwnedEvent(OwnedEvent&& o) noexcept : Event(o.owned_), owned_(std::exchange(o.owned_, nullptr)) {}
  OwnedEvent& operator=(OwnedEvent&&) = delete;
  OwnedEvent(const OwnedEvent&) = delete;
  OwnedEvent& operator=(const OwnedEvent&) = delete;
  ~OwnedEvent() { sio_event_free(owned_); }

 private:
  sio_event* owned_;
};

using Handler = std::function<void(const Event&)>;

/// A runtime (worker threads). With a handler: callback mode; without: queue mode.
class Runtime {
 public:
  /// Queue mode: events come from next_event().
  explicit Runtime(uint32_t workers = 0) { detail::check(sio_runtime_new(workers, nullptr, nullptr, nullptr, &rt_)); }
  /// Callback mode: `handler` runs on runtime threads, in order per connection.
  explicit Runtime(Handler handler, uint32_t workers = 0) {
    auto h = std::make_unique<Handler>(std::move(handler));
    detail::check(sio_runtime_new(workers, &dispatch, h.get(), &finalize, &rt_));
    h.release();  // freed by `finalize` when the runtime is freed
  }
  Runtime(Runtime&& o) noexcept : rt_(std::exchange(o.rt_, nullptr)) {}
  Runtime& operator=(Runtime&& o) noexcept {
    if (this != &o) {
      sio_runtime_free(rt_);
      rt_ = std::exchange(o.rt_, nullptr);
    }
    return *this;
  }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime() { sio_runtime_free(rt_); }

  /// Queue mode: the next event within `timeout_ms`, or std::nullopt. Throws
  /// Error(SIO_ERR_WRONG_MODE) in callback mode.
  std::optional<OwnedEvent> next_event(uint32_t timeout_ms) const {
    sio_event* ev = nullptr;
    sio_status s = sio_next_event(rt_, timeout_ms, &ev);
    if (s == SIO_ERR_TIMEOUT) return std::nullopt;
    detail::check(s);
    return std::optional<OwnedEvent>(std::in_place, ev);
  }
  const sio_runtime* get() const noexcept { return rt_; }

 private:
  static void dispatch(void* user_data, const sio_event* ev) noexcept {
    try {
      (*static_cast<Handler*>(user_data))(Event(ev));
    } catch (...) {
      // Never unwind into the runtime thread.
    }
  }
  static void finalize(void* user_data) noexcept { delete static_cast<Handler*>(user_data); }
  sio_runtime* rt_ = nullptr;
};

/// A Socket.IO server.
class Server {
 public:
  /// `options`: from default_options(), fields changed (nullptr: the defaults). Invalid
  /// options throw sio::Error (SIO_ERR_INVALID_ARGUMENT, what() naming the field).
  explicit Server(const Runtime& rt, const sio_server_options* options = nullptr) {
    detail::check(sio_server_new(rt.get(), options, &s_));
  }
  Server(Server&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Server& operator=(Server&& o) noexcept {
    if (this != &o) {
      sio_server_free(s_);
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  /// Frees the handle; the server keeps running until close() or the runtime ends.
  ~Server() { sio_server_free(s_); }

  static sio_server_options default_options() {
    sio_server_options o;
    detail::check(sio_server_options_default(&o));
    return o;
  }
  static sio_admin_options default_admin_options() {
    sio_admin_options o;
    detail::check(sio_admin_options_default(&o));
    return o;
  }
  uint64_t id() const noexcept { return sio_server_id(s_); }
  /// Serves the official admin UI (@socket.io/admin-ui): its namespace, auth, stats.
  void instrument(const sio_admin_options& opts) const { detail::check(sio_server_instrument(s_, &opts)); }
  /// Binds "host:port" (port 0: any) and returns the port.
  uint16_t listen(std::string_view addr) const {
    uint16_t port = 0;
    detail::check(sio_server_listen(s_, addr.data(), addr.size(), &port));
    return port;
  }
  void add_namespace(std::string_view ns, bool middleware = false) const {
    detail::check(sio_server_namespace(s_, ns.data(), ns.size(), middleware));
  }
  /// Emits to namespace `ns` (nullopt: "/"), room `room` (nullopt: all) except `except`.
  void emit(std::string_view event, std::string_view args_json = "", const Bufs& bufs = {},
            std::optional<std::string_view> ns = std::nullopt, std::optional<std::string_view> room = std::nullopt,
            std::optional<std::string_view> except = std::nullopt) const {
    detail::check(sio_server_emit(s_, detail::opt_ptr(ns), detail::opt_len(ns), detail::opt_ptr(room),
                                  detail::opt_len(room), detail::opt_ptr(except), detail::opt_len(except),
                                  event.data(), event.size(), detail::json_ptr(args_json), args_json.size(),
                                  bufs.data(), bufs.size()));
  }
  /// io.of(ns).to([rooms...]).except([excepts...]).emit: each target once (no rooms: all
  /// sockets of `ns`, nullopt: "/").
  void emit_rooms(std::string_view event, std::string_view args_json, const Bufs& bufs,
                  std::optional<std::string_view> ns, const std::vector<std::string_view>& rooms,
                  const std::vector<std::string_view>& excepts = {}) const {
    auto r = detail::strs(rooms), e = detail::strs(excepts);
    detail::check(sio_server_emit_rooms(s_, detail::opt_ptr(ns), detail::opt_len(ns), r.data(), r.size(), e.data(),
                                        e.size(), event.data(), event.size(), detail::json_ptr(args_json),
                                        args_json.size(), bufs.data(), bufs.size()));
  }
  /// emit_rooms() with SIO_EMIT_* flags (SIO_EMIT_NO_COMPRESS: socket.io's compress(false);
  /// SIO_EMIT_VOLATILE).
  void emit_flags(uint32_t flags, std::string_view event, std::string_view args_json = "", const Bufs& bufs = {},
                  std::optional<std::string_view> ns = std::nullopt, const std::vector<std::string_view>& rooms = {},
                  const std::vector<std::string_view>& excepts = {}) const {
    auto r = detail::strs(rooms), e = detail::strs(excepts);
    detail::check(sio_server_emit_flags(s_, flags, detail::opt_ptr(ns), detail::opt_len(ns), r.data(), r.size(),
                                        e.data(), e.size(), event.data(), event.size(), detail::json_ptr(args_json),
                                        args_json.size(), bufs.data(), bufs.size()));
  }
  /// serverSideEmit: to namespace `ns` on the other servers of the cluster (they get
  /// SIO_EVENT_SERVER_SIDE); returns how many there were at the cluster's last count (0
  /// without cluster_url).
  size_t server_side_emit(std::string_view event, std::string_view args_json = "", const Bufs& bufs = {},
                          std::string_view ns = "/") const {
    size_t reached = 0;
    detail::check(sio_server_server_side_emit(s_, ns.data(), ns.size(), event.data(), event.size(),
                                              detail::json_ptr(args_json), args_json.size(), bufs.data(),
                                              bufs.size(), &reached));
    return reached;
  }
  /// `cb` runs exactly once on a runtime thread: answered (a JSON array, one answer per
  /// other server) / timed out / cancelled.
  void server_side_emit_with_ack(std::string_view event, std::string_view args_json, const Bufs& bufs,
                                 AckCallback cb) const {
    detail::emit_with_ack(
        [&](sio_ack_cb tramp, void* ud) {
          return sio_server_server_side_emit_with_ack(s_, nullptr, 0, event.data(), event.size(), detail::json_ptr(args_json),
                                                      args_json.size(), bufs.data(), bufs.size(), tramp, ud);
        },
        std::move(cb));
  }
  /// Servers in the cluster, this one included (1 without cluster_url). Blocks briefly;
  /// not from an event handler.
  size_t server_count() const {
    size_t n = 0;
    detail::check(sio_server_count(s_, &n));
    return n;
  }
  void close() const { detail::check(sio_server_close(s_)); }
  const sio_server* get() const noexcept { return s_; }

 private:
  sio_server* s_ = nullptr;
};

/// A Socket.IO client (one namespace, given in the URL; socket() opens more over the same
/// connection).
class Client {
 public:
  Client(const Runtime& rt, std::string_view url, const sio_client_options* options = nullptr) {
    detail::check(sio_client_new(rt.get(), url.data(), url.size(), options, &c_));
  }
  Client(Client&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  Client& operator=(Client&& o) noexcept {
    if (this != &o) {
      sio_client_free(c_);
      c_ = std::exchange(o.c_, nullptr);
    }
    return *this;
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  /// Disconnects and frees.
  ~Client() { sio_client_free(c_); }

  static sio_client_options default_options() {
    sio_client_options o;
    detail::check(sio_client_options_default(&o));
    return o;
  }
  /// Namespace `ns` over this client's connection (socket.io-client's manager.socket(ns)),
  /// connecting; a Client of its own whose disconnect() leaves only `ns`. `auth_json`:
  /// its CONNECT payload (nullopt: none).
  Client socket(std::string_view ns, std::optional<std::string_view> auth_json = std::nullopt) const {
    sio_client* out = nullptr;
    detail::check(sio_client_socket(c_, ns.data(), ns.size(), detail::opt_ptr(auth_json), detail::opt_len(auth_json), &out));
    return Client(out);
  }
  uint64_t id() const noexcept { return sio_client_id(c_); }
  std::optional<std::string> socket_id() const {
    const char* id = sio_client_socket_id(c_);
    if (!id) return std::nullopt;
    return std::string(id);
  }
  bool connected() const noexcept { return sio_client_connected(c_); }
  bool active() const noexcept { return sio_client_active(c_); }
  void connect() const { detail::check(sio_client_connect(c_)); }
  void disconnect() const { detail::check(sio_client_disconnect(c_)); }
  void emit(std::string_view event, std::string_view args_json = "", const Bufs& bufs = {}) const {
    detail::check(sio_client_emit(c_, event.data(), event.size(), detail::json_ptr(args_json), args_json.size(),
                                  bufs.data(), bufs.size()));
  }
  /// `cb` runs exactly once on a runtime thread.
  void emit_with_ack(std::string_view event, std::string_view args_json, const Bufs& bufs, uint32_t timeout_ms,
                     AckCallback cb) const {
    detail::emit_with_ack(
        [&](sio_ack_cb tramp, void* ud) {
          return sio_client_emit_with_ack(c_, event.data(), event.size(), detail::json_ptr(args_json),
                                          args_json.size(), bufs.data(), bufs.size(), timeout_ms, tramp, ud);
        },
        std::move(cb));
  }
  const sio_client* get() const noexcept { return c_; }

 private:
  explicit Client(sio_client* c) noexcept : c_(c) {}
  sio_client* c_ = nullptr;
};

}  // namespace sio

#endif  // SIO_HPP
