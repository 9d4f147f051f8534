// Header-only C++ helper for plugin authors.
//
// Write a plugin as an ordinary C++ class; the adapters below turn it into the C function table
// of berth/plugin.h, with every call guarded so no exception ever crosses the ABI. A plugin built
// with this header still links against nothing of Berth's: it reaches the host only through the
// berth_host_api it is given.
//
//   class MyPolicy { ... };                       // see plugins/policy/least_load for the shape
//   BERTH_DEFINE_POLICY_PLUGIN(MyPolicy, "my_policy", "1.0.0", /*behaviour*/ 1)
#ifndef BERTH_PLUGIN_HPP
#define BERTH_PLUGIN_HPP

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "berth/error.hpp"  // berth::plugin::Error: what a plugin throws to report a code
#include "berth/plugin.h"

#define BERTH_EXPORT extern "C" __attribute__((visibility("default")))

namespace berth::plugin {

inline void report(const berth_host_api* host, berth_status* status, int32_t code,
                   std::string_view message) noexcept {
  if (host != nullptr && host->status_set != nullptr && status != nullptr)
    host->status_set(status, code, message.data(), message.size());
}

// Runs `body` (returning an int32_t code) so that nothing unwinds out of the plugin.
template <class Body>
int32_t guarded(const berth_host_api* host, berth_status* status, Body&& body) noexcept {
  try {
    return body();
  } catch (const Error& e) {
    report(host, status, e.code(), e.what());
    return e.code();
  } catch (const std::bad_alloc&) {
    report(host, status, BERTH_E_INTERNAL, "out of memory");
    return BERTH_E_INTERNAL;
  } catch (const std::exception& e) {
    report(host, status, BERTH_E_INTERNAL, std::string("unexpected exception: ") + e.what());
    return BERTH_E_INTERNAL;
  } catch (...) {
    report(host, status, BERTH_E_INTERNAL, "unexpected non-standard exception");
    return BERTH_E_INTERNAL;
  }
}

inline void log(const berth_host_api* host, int32_t level, std::string_view message) noexcept {
  if (host != nullptr && host->log != nullptr) host->log(host, level, message.data(), message.size());
}

// The types a key accepts, for Config::find (bits of the BERTH_VALUE_* of berth/abi.h). A value
// of no type of its own (BERTH_VALUE_TEXT: a command line, berth_engine_set_option) passes any.
inline constexpr uint32_t kString = 1u << BERTH_VALUE_STRING;
inline constexpr uint32_t kInteger = 1u << BERTH_VALUE_INTEGER;
inline constexpr uint32_t kNumber = kInteger | (1u << BERTH_VALUE_FLOAT);
inline constexpr uint32_t kBoolean = 1u << BERTH_VALUE_BOOLEAN;
inline constexpr uint32_t kDuration = kString | kNumber;  // "500ms", or a number of seconds

// Read access to a plugin's configuration section. Every key read is remembered, so
// reject_unknown() can name a key the plugin does not understand (usually a typo).
class Config {
 public:
  explicit Config(const berth_config* config) : config_(config) {
    if (config_ != nullptr) used_.assign(config_->count, false);
  }

  const berth_kv* find(std::string_view key) {
    if (config_ == nullptr) return nullptr;
    for (size_t i = 0; i < config_->count; ++i) {
      if (key == config_->items[i].key) {
        used_[i] = true;
        return &config_->items[i];
      }
    }
    return nullptr;
  }

  // find(key), refusing a value written with a type outside `accepts` (kString...), e.g.
  // "berth.toml:4: backend.cluster: expected a string (the cluster's name), found a boolean".
  const berth_kv* find(std::string_view key, uint32_t accepts, std::string_view what) {
    const berth_kv* kv = find(key);
    if (kv == nullptr) return nullptr;
    const int32_t k = kind(*kv);
    if (k != BERTH_VALUE_TEXT && (accepts & (1u << k)) == 0)
      throw Error(BERTH_E_CONFIG, where(*kv) + "expected " + std::string(what) + ", found " + kind_name(k));
    return kv;
  }

  // The type `kv` (an item of this configuration) was written with; BERTH_VALUE_TEXT from a
  // host older than ABI 1.7, and for a type this header does not know (a later host's): the
  // plugin then parses the text as it did before types were passed.
  int32_t kind(const berth_kv& kv) const {
    if (config_ == nullptr || config_->struct_size < BERTH_SIZE_THROUGH(berth_config, kinds) ||
        config_->kinds == nullptr)
      return BERTH_VALUE_TEXT;
    for (size_t i = 0; i < config_->count; ++i) {
      if (&config_->items[i] != &kv) continue;
      const int32_t k = config_->kinds[i];
      return k >= BERTH_VALUE_STRING && k <= BERTH_VALUE_BOOLEAN ? k : BERTH_VALUE_TEXT;
    }
    return BERTH_VALUE_TEXT;
  }

  static const char* kind_name(int32_t kind) {
    switch (kind) {
      case BERTH_VALUE_STRING: return "a string";
      case BERTH_VALUE_INTEGER: return "an integer";
      case BERTH_VALUE_FLOAT: return "a float";
      case BERTH_VALUE_BOOLEAN: return "a boolean";
      default: return "text";
    }
  }

  std::string text(std::string_view key, std::string fallback) {
    const berth_kv* kv = find(key, kString, "a string");
    return kv == nullptr ? fallback : std::string(kv->value);
  }

  double number(std::string_view key, double fallback, double min, double max) {
    const berth_kv* kv = find(key, kNumber, "a number");
    if (kv == nullptr) return fallback;
    char* end = nullptr;
    double value = std::strtod(kv->value, &end);
    if (end == kv->value || *end != '\0' || !std::isfinite(value) || value < min || value > max)
      throw Error(BERTH_E_CONFIG, where(*kv) + "'" + kv->value + "' is not a number in [" + shortest(min) + ", " +
                                      shortest(max) + "]");
    return value;
  }

  static std::string shortest(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
  }

  void reject_unknown() const {
    if (config_ == nullptr) return;
    for (size_t i = 0; i < config_->count; ++i)
      if (!used_[i]) throw Error(BERTH_E_CONFIG, where(config_->items[i]) + "unknown key");
  }

  std::string where(const berth_kv& kv) const {
    std::string out = kv.where != nullptr ? std::string(kv.where) + ": " : std::string();
    if (config_ != nullptr && config_->section != nullptr) out += std::string(config_->section) + ".";
    return out + kv.key + ": ";
  }

 private:
  const berth_config* config_;
  std::vector<bool> used_;
};

inline std::string_view server_id(const berth_server_set& servers, uint32_t i) {
  return {servers.id_arena + servers.id_offsets[i], servers.id_offsets[i + 1] - servers.id_offsets[i]};
}

inline std::string_view stream_id(const berth_stream_set& streams, uint64_t i) {
  return {streams.id_arena + streams.id_offsets[i], streams.id_offsets[i + 1] - streams.id_offsets[i]};
}

// Output to a host sink.
class Sink {
 public:
  Sink(const berth_host_api* host, berth_sink* sink) : host_(host), sink_(sink) {}
  void write(const void* data, size_t len) const {
    if (host_->sink_write(sink_, data, len) != BERTH_OK) throw Error(BERTH_E_INTERNAL, "host sink refused bytes");
  }
  void item(std::string_view key, const void* value, size_t len) const {
    if (host_->sink_item(sink_, key.data(), key.size(), value, len) != BERTH_OK)
      throw Error(BERTH_E_INTERNAL, "host sink refused an item");
  }

 private:
  const berth_host_api* host_;
  berth_sink* sink_;
};

// A plugin object together with the host table it reports through.
template <class T>
struct Instance {
  const berth_host_api* host;
  T impl;
};

template <class T, class... Args>
int32_t create_instance(const berth_host_api* host, const berth_config* config, void** out_self,
                        berth_status* status, Args&&... args) noexcept {
  return guarded(host, status, [&]() -> int32_t {
    Config reader(config);
    auto* self = new Instance<T>{host, T(host, reader, std::forward<Args>(args)...)};
    try {
      reader.reject_unknown();
    } catch (...) {
      delete self;
      throw;
    }
    *out_self = self;
    return BERTH_OK;
  });
}

// ------------------------------------------------------------------------------ appraisers --
// An appraiser class has: Appraiser(const berth_host_api*, Config&) and
//   void appraise(const berth_stream_set&, double* out_load);
template <class A>
struct AppraiserAdapter {
  using Self = Instance<A>;
  static int32_t create(const berth_host_api* host, const berth_config* config, void** out,
                        berth_status* status) noexcept {
    return create_instance<A>(host, config, out, status);
  }
  static void destroy(void* self) noexcept { delete static_cast<Self*>(self); }
  static int32_t appraise(void* self, const berth_stream_set* streams, double* out_load,
                          berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.appraise(*streams, out_load);
      return BERTH_OK;
    });
  }
  static constexpr berth_appraiser_functions table() {
    return {BERTH_SIZE_THROUGH(berth_appraiser_functions, appraise), &create, &destroy, &appraise};
  }
};

// -------------------------------------------------------------------------------- policies --
// A policy class has: Policy(const berth_host_api*, Config&),
//   void rebalance(const berth_rebalance_request&, uint32_t* out_owner);
//   using Placer = ...;  Placer make_placer(const berth_server_set&, const double* server_load);
// and the Placer has: uint32_t place(uint64_t stream_hash, double load) const.
// Optional (ABI 1.2): void default_owners(const berth_server_set&, uint64_t count,
//   const uint64_t* stream_hash, uint32_t* out_owner) const;  see berth_policy_functions.
template <class P, class = void>
struct has_default_owners : std::false_type {};
template <class P>
struct has_default_owners<P, std::void_t<decltype(std::declval<const P&>().default_owners(
                                 std::declval<const berth_server_set&>(), uint64_t{},
                                 std::declval<const uint64_t*>(), std::declval<uint32_t*>()))>> : std::true_type {};

template <class P>
struct PolicyAdapter {
  using Self = Instance<P>;
  using Placer = Instance<typename P::Placer>;
  static int32_t create(const berth_host_api* host, const berth_config* config, void** out,
                        berth_status* status) noexcept {
    return create_instance<P>(host, config, out, status);
  }
  static void destroy(void* self) noexcept { delete static_cast<Self*>(self); }
  static int32_t rebalance(void* self, const berth_rebalance_request* request, uint32_t* out_owner,
                           berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.rebalance(*request, out_owner);
      return BERTH_OK;
    });
  }
  static int32_t placer_create(void* self, const berth_server_set* servers, const double* server_load,
                               void** out_placer, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      *out_placer = new Placer{s->host, s->impl.make_placer(*servers, server_load)};
      return BERTH_OK;
    });
  }
  static int32_t place(const void* placer, uint64_t stream_hash, double load, uint32_t* out_server,
                       berth_status* status) noexcept {
    auto* p = static_cast<const Placer*>(placer);
    return guarded(p->host, status, [&]() -> int32_t {
      *out_server = p->impl.place(stream_hash, load);
      return BERTH_OK;
    });
  }
  static void placer_destroy(void* placer) noexcept { delete static_cast<Placer*>(placer); }
  static int32_t default_owners(const void* self, const berth_server_set* servers, uint64_t count,
                                const uint64_t* stream_hash, uint32_t* out_owner, berth_status* status) noexcept {
    auto* s = static_cast<const Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      if (servers == nullptr || (count > 0 && (stream_hash == nullptr || out_owner == nullptr)))
        throw Error(BERTH_E_INVALID_ARGUMENT, "default_owners: servers, hashes or output is NULL");
      s->impl.default_owners(*servers, count, stream_hash, out_owner);
      return BERTH_OK;
    });
  }
  static constexpr berth_policy_functions table(uint32_t behaviour_version) {
    berth_policy_functions t{BERTH_SIZE_THROUGH(berth_policy_functions, default_owners),
                             behaviour_version, &create, &destroy, &rebalance, &placer_create, &place, &placer_destroy,
                             nullptr};
    if constexpr (has_default_owners<P>::value) t.default_owners = &default_owners;
    return t;
  }
};

// -------------------------------------------------------------------------------- weighers --
// A weigher class (ABI 1.5) has: Weigher(const berth_host_api*, Config&) and
//   void weigh(const berth_server_set&, const berth_signal_set&, double* out_factor);
template <class W>
struct WeigherAdapter {
  using Self = Instance<W>;
  static int32_t create(const berth_host_api* host, const berth_config* config, void** out,
                        berth_status* status) noexcept {
    return create_instance<W>(host, config, out, status);
  }
  static void destroy(void* self) noexcept { delete static_cast<Self*>(self); }
  static int32_t weigh(void* self, const berth_server_set* servers, const berth_signal_set* signals,
                       double* out_factor, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      if (servers == nullptr || signals == nullptr || (servers->count > 0 && out_factor == nullptr))
        throw Error(BERTH_E_INVALID_ARGUMENT, "weigh: servers, signals or output is NULL");
      if (signals->server_count != servers->count)
        throw Error(BERTH_E_INVALID_ARGUMENT, "weigh: signals for " + std::to_string(signals->server_count) +
                                                  " servers, " + std::to_string(servers->count) + " servers");
      s->impl.weigh(*servers, *signals, out_factor);
      return BERTH_OK;
    });
  }
  static constexpr berth_weigher_functions table() {
    return {BERTH_SIZE_THROUGH(berth_weigher_functions, weigh), &create, &destroy, &weigh};
  }
};

// Signal k's name in a berth_signal_set.
inline std::string_view signal_name(const berth_signal_set& signals, uint64_t k) {
  return {signals.name_arena + signals.name_offsets[k], signals.name_offsets[k + 1] - signals.name_offsets[k]};
}

inline constexpr uint32_t descriptor_size = BERTH_SIZE_THROUGH(berth_plugin_descriptor, functions);

}  // namespace berth::plugin

// ---------------------------------------------------------------------------- state backends --
namespace berth::plugin {

// What a backend says about the election; the adapter turns it into a berth_leadership.
struct Leadership {
  uint64_t epoch = 0;       // of the current leader; 0 while there is none
  bool is_leader = false;   // this instance leads at `epoch`
  bool connected = true;    // false while the backend cannot be reached
};

// A backend instance's lease (ABI 1.4), turned into a berth_lease by the adapter; see berth_lease.
struct Lease {
  bool held = false;             // the session lives as far as this instance knows
  uint64_t valid_until_ns = 0;   // CLOCK_MONOTONIC; UINT64_MAX while only this process can end it
  uint64_t session = 0;          // names the session; never 0 while held
  uint64_t vanish_wait_ns = 0;   // ABI 1.6: see berth_lease.vanish_wait_ns
};

// The newest version, and the version it is based on (0: self-contained); see fetch_latest.
struct Fetched {
  uint64_t version = 0;
  uint64_t base_version = 0;
};

// A backend class has: Backend(const berth_host_api*, Config&, const berth_backend_watch* watch)
// (`watch` may be NULL and stays valid until the object is destroyed) and
//   void join(std::string_view member, std::string_view info);
//   void leave(std::string_view member);
//   void members(const Sink& out);                    // out.item(id, info) per live member
//   void campaign();
//   void resign();
//   Leadership leadership();
//   void publish(uint64_t epoch, uint64_t version, std::string_view bytes);
//   uint64_t fetch(uint64_t known_version, const Sink& out);  // out.write(bytes) only when newer
//   void submit(std::string_view record);
//   void drain(const Sink& out);                      // out.item("", record), oldest first
// and, optionally (snapshot deltas, ABI 1.1; all three or none: without them the host publishes
// full snapshots only), with the contract of berth/plugin.h:
//   void publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes);
//   Fetched fetch_latest(uint64_t known_version, const Sink& out);  // out.write(bytes) only when newer
//   void fetch_version(uint64_t version, const Sink& out);  // Error(BERTH_E_NOT_FOUND) when not kept
// and, optionally (intake taken at least once, ABI 1.3; both or neither: without them the host
// uses drain()):
//   void peek_intake(const Sink& out);               // out.item(key, record), oldest first, kept
//   void settle_intake(const std::vector<std::string_view>& keys);  // removes those still pending
// and, optionally (the lease, ABI 1.4: without it the host treats `connected` as the lease):
//   Lease lease() const;  // called CONCURRENTLY with every other member function, from any
//                         // thread: it must be thread-safe on its own and never block on I/O
// Its destructor is destroy(): once it returns, `watch` must never be called again. A constructor
// with side effects (connecting, registering) should call config.reject_unknown() before them.
// Whether a backend class has the optional delta functions (C++17, like the rest of this header).
template <class B, class = void>
struct has_snapshot_deltas : std::false_type {};
template <class B>
struct has_snapshot_deltas<
    B, std::void_t<decltype(std::declval<B&>().publish_based(uint64_t{}, uint64_t{}, uint64_t{}, std::string_view{})),
                   decltype(std::declval<B&>().fetch_latest(uint64_t{}, std::declval<const Sink&>())),
                   decltype(std::declval<B&>().fetch_version(uint64_t{}, std::declval<const Sink&>()))>>
    : std::true_type {};

// Whether a backend class has the optional keyed intake functions (both, or it is a mistake).
template <class B, class = void>
struct has_peek_intake : std::false_type {};
template <class B>
struct has_peek_intake<B, std::void_t<decltype(std::declval<B&>().peek_intake(std::declval<const Sink&>()))>>
    : std::true_type {};
template <class B, class = void>
struct has_settle_intake : std::false_type {};
template <class B>
struct has_settle_intake<
    B, std::void_t<decltype(std::declval<B&>().settle_intake(std::declval<const std::vector<std::string_view>&>()))>>
    : std::true_type {};
template <class B>
struct has_intake_keys {
  static_assert(has_peek_intake<B>::value == has_settle_intake<B>::value,
                "a backend with keyed intake needs both peek_intake(const Sink&) and "
                "settle_intake(const std::vector<std::string_view>&)");
  static constexpr bool value = has_peek_intake<B>::value && has_settle_intake<B>::value;
};

// Whether a backend class has the optional lease (ABI 1.4).
template <class B, class = void>
struct has_lease : std::false_type {};
template <class B>
struct has_lease<B, std::void_t<decltype(std::declval<const B&>().lease())>>
    : std::bool_constant<std::is_same_v<decltype(std::declval<const B&>().lease()), Lease>> {};

template <class B>
struct BackendAdapter {
  using Self = Instance<B>;

  // Bytes from the host as a view; NULL is fine only with length 0.
  static std::string_view bytes_view(const void* data, size_t len, const char* what) {
    if (len == 0) return {};
    if (data == nullptr)
      throw Error(BERTH_E_INVALID_ARGUMENT, std::string(what) + " is NULL with length " + std::to_string(len));
    return {static_cast<const char*>(data), len};
  }

  static int32_t create(const berth_host_api* host, const berth_config* config, const berth_backend_watch* watch,
                        void** out, berth_status* status) noexcept {
    return create_instance<B>(host, config, out, status, watch);
  }
  static void destroy(void* self) noexcept { delete static_cast<Self*>(self); }

  static int32_t join(void* self, const char* member, size_t member_len, const void* info, size_t info_len,
                      berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.join(bytes_view(member, member_len, "member id"), bytes_view(info, info_len, "member info"));
      return BERTH_OK;
    });
  }
  static int32_t leave(void* self, const char* member, size_t member_len, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.leave(bytes_view(member, member_len, "member id"));
      return BERTH_OK;
    });
  }
  static int32_t members(void* self, berth_sink* out, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.members(Sink(s->host, out));
      return BERTH_OK;
    });
  }
  static int32_t campaign(void* self, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.campaign();
      return BERTH_OK;
    });
  }
  static int32_t resign(void* self, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.resign();
      return BERTH_OK;
    });
  }
  static int32_t leadership(void* self, berth_leadership* out, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      // Only fields the host's struct has are written (all of them exist since ABI 1.0).
      if (out == nullptr || out->struct_size < BERTH_SIZE_THROUGH(berth_leadership, connected))
        throw Error(BERTH_E_INVALID_ARGUMENT, "leadership: output struct is NULL or smaller than ABI 1.0's");
      Leadership now = s->impl.leadership();
      out->epoch = now.epoch;
      out->is_leader = now.is_leader ? 1 : 0;
      out->connected = now.connected ? 1 : 0;
      return BERTH_OK;
    });
  }
  static int32_t publish(void* self, uint64_t epoch, uint64_t version, const void* bytes, size_t len,
                         berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.publish(epoch, version, bytes_view(bytes, len, "snapshot bytes"));
      return BERTH_OK;
    });
  }
  static int32_t fetch(void* self, uint64_t known_version, uint64_t* out_version, berth_sink* out,
                       berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      if (out_version == nullptr) throw Error(BERTH_E_INVALID_ARGUMENT, "fetch: out_version is NULL");
      *out_version = s->impl.fetch(known_version, Sink(s->host, out));
      return BERTH_OK;
    });
  }
  static int32_t submit(void* self, const void* bytes, size_t len, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.submit(bytes_view(bytes, len, "submitted record"));
      return BERTH_OK;
    });
  }
  static int32_t drain(void* self, berth_sink* out, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.drain(Sink(s->host, out));
      return BERTH_OK;
    });
  }

  // Snapshot deltas (ABI 1.1), only for a class that has them.
  static int32_t publish_based(void* self, uint64_t epoch, uint64_t version, uint64_t base_version, const void* bytes,
                               size_t len, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.publish_based(epoch, version, base_version, bytes_view(bytes, len, "snapshot bytes"));
      return BERTH_OK;
    });
  }
  static int32_t fetch_latest(void* self, uint64_t known_version, uint64_t* out_version, uint64_t* out_base_version,
                              berth_sink* out, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      if (out_version == nullptr || out_base_version == nullptr)
        throw Error(BERTH_E_INVALID_ARGUMENT, "fetch_latest: out_version or out_base_version is NULL");
      Fetched latest = s->impl.fetch_latest(known_version, Sink(s->host, out));
      *out_version = latest.version;
      *out_base_version = latest.base_version;
      return BERTH_OK;
    });
  }
  static int32_t fetch_version(void* self, uint64_t version, berth_sink* out, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.fetch_version(version, Sink(s->host, out));
      return BERTH_OK;
    });
  }

  // Keyed intake (ABI 1.3), only for a class that has it.
  static int32_t peek_intake(void* self, berth_sink* out, berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      s->impl.peek_intake(Sink(s->host, out));
      return BERTH_OK;
    });
  }
  static int32_t settle_intake(void* self, const char* key_arena, const uint64_t* key_offsets, size_t count,
                               berth_status* status) noexcept {
    auto* s = static_cast<Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      std::vector<std::string_view> keys;
      if (count > 0) {
        if (key_offsets == nullptr)
          throw Error(BERTH_E_INVALID_ARGUMENT, "settle_intake: " + std::to_string(count) + " keys without key_offsets");
        if (key_offsets[0] != 0)
          throw Error(BERTH_E_INVALID_ARGUMENT, "settle_intake: key_offsets[0] is not 0");
        if (key_arena == nullptr && key_offsets[count] != 0)
          throw Error(BERTH_E_INVALID_ARGUMENT, "settle_intake: key_arena is NULL");
        keys.reserve(count);
        for (size_t i = 0; i < count; ++i) {
          if (key_offsets[i + 1] < key_offsets[i])
            throw Error(BERTH_E_INVALID_ARGUMENT, "settle_intake: key_offsets go backwards at key " + std::to_string(i));
          if (key_arena == nullptr)
            keys.emplace_back();
          else
            keys.emplace_back(key_arena + key_offsets[i], key_offsets[i + 1] - key_offsets[i]);
        }
      }
      s->impl.settle_intake(keys);
      return BERTH_OK;
    });
  }

  // The lease (ABI 1.4), only for a class that has it. The host calls it concurrently with the
  // other functions: nothing here touches state of the instance beyond impl.lease().
  static int32_t lease(void* self, berth_lease* out, berth_status* status) noexcept {
    auto* s = static_cast<const Self*>(self);
    return guarded(s->host, status, [&]() -> int32_t {
      if (out == nullptr || out->struct_size < BERTH_SIZE_THROUGH(berth_lease, session))
        throw Error(BERTH_E_INVALID_ARGUMENT, "lease: output struct is NULL or smaller than ABI 1.4's");
      Lease now = s->impl.lease();
      out->held = now.held ? 1 : 0;
      out->valid_until_ns = now.valid_until_ns;
      out->session = now.session;
      if (out->struct_size >= BERTH_SIZE_THROUGH(berth_lease, vanish_wait_ns)) out->vanish_wait_ns = now.vanish_wait_ns;
      return BERTH_OK;
    });
  }

  static constexpr berth_backend_functions table() {
    // A table without the lease ends before it, as a plugin built against ABI 1.3 would.
    berth_backend_functions t{BERTH_SIZE_THROUGH(berth_backend_functions, settle_intake),
                              &create, &destroy, &join, &leave, &members, &campaign, &resign, &leadership,
                              &publish, &fetch, &submit, &drain, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
    if constexpr (has_snapshot_deltas<B>::value) {
      t.publish_based = &publish_based;
      t.fetch_latest = &fetch_latest;
      t.fetch_version = &fetch_version;
    }
    if constexpr (has_intake_keys<B>::value) {
      t.peek_intake = &peek_intake;
      t.settle_intake = &settle_intake;
    }
    if constexpr (has_lease<B>::value) {
      t.struct_size = BERTH_SIZE_THROUGH(berth_backend_functions, lease);
      t.lease = &lease;
    }
    return t;
  }
};

}  // namespace berth::plugin

// One exported entry symbol returning a static descriptor.
#define BERTH_DEFINE_PLUGIN_ENTRY_(KIND, FUNCTIONS, NAME, VERSION)                            \
  BERTH_EXPORT const berth_plugin_descriptor* berth_plugin_entry(void) {                      \
    static const berth_plugin_descriptor descriptor = {                                       \
        ::berth::plugin::descriptor_size, BERTH_ABI_MAJOR, BERTH_ABI_MINOR, KIND, NAME, VERSION, \
        &FUNCTIONS};                                                                           \
    return &descriptor;                                                                        \
  }

#define BERTH_DEFINE_APPRAISER_PLUGIN(CLASS, NAME, VERSION)                                      \
  namespace {                                                                                    \
  constexpr berth_appraiser_functions berth_functions_ = ::berth::plugin::AppraiserAdapter<CLASS>::table(); \
  }                                                                                              \
  BERTH_DEFINE_PLUGIN_ENTRY_(BERTH_PLUGIN_APPRAISER, berth_functions_, NAME, VERSION)

#define BERTH_DEFINE_POLICY_PLUGIN(CLASS, NAME, VERSION, BEHAVIOUR)                              \
  namespace {                                                                                    \
  constexpr berth_policy_functions berth_functions_ = ::berth::plugin::PolicyAdapter<CLASS>::table(BEHAVIOUR); \
  }                                                                                              \
  BERTH_DEFINE_PLUGIN_ENTRY_(BERTH_PLUGIN_POLICY, berth_functions_, NAME, VERSION)

#define BERTH_DEFINE_WEIGHER_PLUGIN(CLASS, NAME, VERSION)                                        \
  namespace {                                                                                    \
  constexpr berth_weigher_functions berth_functions_ = ::berth::plugin::WeigherAdapter<CLASS>::table(); \
  }                                                                                              \
  BERTH_DEFINE_PLUGIN_ENTRY_(BERTH_PLUGIN_WEIGHER, berth_functions_, NAME, VERSION)

#define BERTH_DEFINE_BACKEND_PLUGIN(CLASS, NAME, VERSION)                                        \
  namespace {                                                                                    \
  constexpr berth_backend_functions berth_functions_ = ::berth::plugin::BackendAdapter<CLASS>::table(); \
  }                                                                                              \
  BERTH_DEFINE_PLUGIN_ENTRY_(BERTH_PLUGIN_BACKEND, berth_functions_, NAME, VERSION)

#endif  // BERTH_PLUGIN_HPP
