#include "plugin/instances.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <tuple>
#include <unordered_set>

#include "common/log.h"

#include "common/error.h"
#include "plugin/host_api.h"

namespace berth {
namespace {

std::string context_of(const LoadedPlugin& plugin, const char* call) {
  return std::string(kind_name(plugin.kind)) + " '" + plugin.name + "' (" + plugin.path.string() + ") " + call;
}

// Calls into a plugin: a non-OK code, or an exception that escaped the C ABI, becomes an Error.
template <class Call>
void call_plugin(const LoadedPlugin& plugin, const char* what, Call&& call) {
  berth_status status;
  int32_t code = BERTH_E_INTERNAL;
  try {
    code = call(&status);
  } catch (...) {
    throw Error(BERTH_E_PLUGIN, context_of(plugin, what) + ": threw an exception across the C ABI");
  }
  if (code != BERTH_OK) check_plugin_call(code, status, context_of(plugin, what));  // text only on failure
}

// `store`: a backend, whose create reaches the shared store.
void* create_with(const LoadedPlugin& plugin, auto&& create, bool store = false) {
  void* self = nullptr;
  berth_status status;
  int32_t code = BERTH_E_INTERNAL;
  try {
    code = create(&self, &status);
  } catch (...) {
    throw Error(BERTH_E_PLUGIN, context_of(plugin, "create") + ": threw an exception across the C ABI");
  }
  if (code != BERTH_OK) {
    // A configuration mistake, and for a backend a store that cannot be reached or refuses this
    // instance, keep their codes (the host can act on them); anything else is the plugin failing.
    const bool kept = code == BERTH_E_CONFIG || (store && (code == BERTH_E_UNAVAILABLE || code == BERTH_E_PERMISSION));
    int32_t reported = kept ? code : BERTH_E_PLUGIN;
    std::string message = status.message.empty() ? "failed with code " + std::to_string(code) : status.message;
    throw Error(reported, context_of(plugin, "create") + ": " + message);
  }
  if (self == nullptr) throw Error(BERTH_E_PLUGIN, context_of(plugin, "create") + ": returned OK but no object");
  return self;
}

// Destroy functions return nothing and run in destructors: a plugin that throws there is logged,
// not allowed to end the process.
template <class Call>
void destroy_quietly(const LoadedPlugin& plugin, const char* what, Call&& call) noexcept {
  try {
    call();
  } catch (...) {
    logger().error("{}: threw an exception across the C ABI; ignored", context_of(plugin, what));
  }
}

}  // namespace

PluginConfig::PluginConfig(std::string section, std::vector<Entry> entries)
    : section_(std::move(section)), entries_(std::move(entries)) {
  rebuild();
}

PluginConfig& PluginConfig::operator=(const PluginConfig& other) {
  if (this != &other) {
    section_ = other.section_;
    entries_ = other.entries_;
    rebuild();
  }
  return *this;
}

void PluginConfig::rebuild() {
  kvs_.clear();
  kinds_.clear();
  for (const Entry& e : entries_) {
    kvs_.push_back({e.key.c_str(), e.value.c_str(), e.where.c_str()});
    kinds_.push_back(e.kind);
  }
  view_ = berth_config{BERTH_SIZE_THROUGH(berth_config, kinds), kvs_.data(), kvs_.size(), section_.c_str(),
                       kinds_.data()};
}

Appraiser::Appraiser(std::shared_ptr<const LoadedPlugin> plugin, const PluginConfig& config)
    : plugin_(std::move(plugin)) {
  self_ = create_with(*plugin_, [&](void** out, berth_status* st) {
    return plugin_->appraiser.create(&plugin_->host, config.view(), out, st);
  });
}

Appraiser::~Appraiser() {
  destroy_quietly(*plugin_, "destroy", [&] { plugin_->appraiser.destroy(self_); });
}

void Appraiser::appraise(const berth_stream_set& streams, double* out_load) {
  call_plugin(*plugin_, "appraise", [&](berth_status* st) { return plugin_->appraiser.appraise(self_, &streams, out_load, st); });
}

Policy::Policy(std::shared_ptr<const LoadedPlugin> plugin, const PluginConfig& config) : plugin_(std::move(plugin)) {
  self_ = create_with(*plugin_, [&](void** out, berth_status* st) {
    return plugin_->policy.create(&plugin_->host, config.view(), out, st);
  });
}

Policy::~Policy() {
  destroy_quietly(*plugin_, "destroy", [&] { plugin_->policy.destroy(self_); });
}

void Policy::rebalance(const berth_rebalance_request& request, uint32_t* out_owner) const {
  call_plugin(*plugin_, "rebalance", [&](berth_status* st) { return plugin_->policy.rebalance(self_, &request, out_owner, st); });
}

void Policy::default_owners(const berth_server_set& servers, uint64_t count, const uint64_t* stream_hash,
                            uint32_t* out_owner) const {
  if (!has_default_owners())
    throw Error(BERTH_E_STATE, context_of(*plugin_, "default_owners") + ": this policy has no default owners");
  call_plugin(*plugin_, "default_owners", [&](berth_status* st) {
    return plugin_->policy.default_owners(self_, &servers, count, stream_hash, out_owner, st);
  });
  for (uint64_t i = 0; i < count; ++i)
    if (out_owner[i] >= servers.count && out_owner[i] != BERTH_NO_SERVER)
      throw Error(BERTH_E_PLUGIN, context_of(*plugin_, "default_owners") + ": gave server #" +
                                      std::to_string(out_owner[i]) + " of " + std::to_string(servers.count));
}

std::shared_ptr<const Placer> Policy::make_placer(const berth_server_set& servers, const double* server_load) const {
  void* placer = nullptr;
  call_plugin(*plugin_, "placer_create", [&](berth_status* st) {
    return plugin_->policy.placer_create(self_, &servers, server_load, &placer, st);
  });
  if (placer == nullptr) throw Error(BERTH_E_PLUGIN, context_of(*plugin_, "placer_create") + ": returned OK but no placer");
  return std::make_shared<const Placer>(shared_from_this(), placer);
}

Weigher::Weigher(std::shared_ptr<const LoadedPlugin> plugin, const PluginConfig& config)
    : plugin_(std::move(plugin)) {
  self_ = create_with(*plugin_, [&](void** out, berth_status* st) {
    return plugin_->weigher.create(&plugin_->host, config.view(), out, st);
  });
}

Weigher::~Weigher() {
  destroy_quietly(*plugin_, "destroy", [&] { plugin_->weigher.destroy(self_); });
}

void Weigher::weigh(const berth_server_set& servers, const berth_signal_set& signals, double* out_factor) const {
  std::vector<double> factor(servers.count, std::numeric_limits<double>::quiet_NaN());
  try {
    call_plugin(*plugin_, "weigh", [&](berth_status* st) {
      return plugin_->weigher.weigh(self_, &servers, &signals, factor.data(), st);
    });
  } catch (const Error& e) {
    // Whatever code it chose, a weigher that cannot weigh is the plugin failing: the host keeps
    // the weights it had.
    throw Error(BERTH_E_PLUGIN, std::string(e.what()) + " (code " + std::to_string(e.code()) + ")");
  }
  for (uint32_t i = 0; i < servers.count; ++i)
    if (!std::isfinite(factor[i]) || factor[i] <= 0)
      throw Error(BERTH_E_PLUGIN, context_of(*plugin_, "weigh") + ": gave server '" +
                                      std::string(servers.id_arena + servers.id_offsets[i],
                                                  servers.id_offsets[i + 1] - servers.id_offsets[i]) +
                                      "' the factor " + std::to_string(factor[i]) + " (a factor is > 0 and finite)");
  std::copy(factor.begin(), factor.end(), out_factor);
}

Placer::~Placer() {
  destroy_quietly(*policy_->plugin_, "placer_destroy", [&] { policy_->plugin_->policy.placer_destroy(placer_); });
}

uint32_t Placer::place(uint64_t stream_hash, double load) const {
  uint32_t server = BERTH_NO_SERVER;
  call_plugin(*policy_->plugin_, "place", [&](berth_status* st) {
    return policy_->plugin_->policy.place(placer_, stream_hash, load, &server, st);
  });
  return server;
}

Backend::Backend(std::shared_ptr<const LoadedPlugin> plugin, const PluginConfig& config, const berth_backend_watch* watch)
    : plugin_(std::move(plugin)) {
  self_ = create_with(*plugin_, [&](void** out, berth_status* st) {
    return plugin_->backend.create(&plugin_->host, config.view(), watch, out, st);
  }, true);
}

Backend::~Backend() {
  destroy_quietly(*plugin_, "destroy", [&] { plugin_->backend.destroy(self_); });
}

void Backend::join(std::string_view member, std::string_view info) {
  call_plugin(*plugin_, "join", [&](berth_status* st) {
    return plugin_->backend.join(self_, member.data(), member.size(), info.data(), info.size(), st);
  });
}

void Backend::leave(std::string_view member) {
  call_plugin(*plugin_, "leave", [&](berth_status* st) { return plugin_->backend.leave(self_, member.data(), member.size(), st); });
}

std::vector<std::pair<std::string, std::string>> Backend::members() {
  berth_sink sink;
  call_plugin(*plugin_, "members", [&](berth_status* st) { return plugin_->backend.members(self_, &sink, st); });
  return std::move(sink.items);
}

void Backend::campaign() {
  call_plugin(*plugin_, "campaign", [&](berth_status* st) { return plugin_->backend.campaign(self_, st); });
}

void Backend::resign() {
  call_plugin(*plugin_, "resign", [&](berth_status* st) { return plugin_->backend.resign(self_, st); });
}

berth_leadership Backend::leadership() {
  berth_leadership out{};
  out.struct_size = BERTH_SIZE_THROUGH(berth_leadership, connected);
  call_plugin(*plugin_, "leadership", [&](berth_status* st) { return plugin_->backend.leadership(self_, &out, st); });
  return out;
}

void Backend::publish(uint64_t epoch, uint64_t version, std::string_view bytes) {
  call_plugin(*plugin_, "publish", [&](berth_status* st) {
    return plugin_->backend.publish(self_, epoch, version, bytes.data(), bytes.size(), st);
  });
}

std::pair<uint64_t, std::string> Backend::fetch(uint64_t known_version) {
  berth_sink sink;
  uint64_t version = 0;
  call_plugin(*plugin_, "fetch", [&](berth_status* st) { return plugin_->backend.fetch(self_, known_version, &version, &sink, st); });
  return {version, std::move(sink.bytes)};
}

void Backend::submit(std::string_view records) {
  call_plugin(*plugin_, "submit", [&](berth_status* st) { return plugin_->backend.submit(self_, records.data(), records.size(), st); });
}

bool Backend::supports_deltas() const {
  const auto& b = plugin_->backend;
  return b.publish_based != nullptr && b.fetch_latest != nullptr && b.fetch_version != nullptr;
}

void Backend::publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes) {
  if (base_version == 0 && !supports_deltas()) return publish(epoch, version, bytes);
  if (!supports_deltas())
    throw Error(BERTH_E_STATE, context_of(*plugin_, "publish_based") + ": this backend takes full snapshots only");
  call_plugin(*plugin_, "publish_based", [&](berth_status* st) {
    return plugin_->backend.publish_based(self_, epoch, version, base_version, bytes.data(), bytes.size(), st);
  });
}

Backend::Latest Backend::fetch_latest(uint64_t known_version) {
  Latest out;
  if (!supports_deltas()) {
    std::tie(out.version, out.bytes) = fetch(known_version);
    return out;
  }
  berth_sink sink;
  call_plugin(*plugin_, "fetch_latest", [&](berth_status* st) {
    return plugin_->backend.fetch_latest(self_, known_version, &out.version, &out.base_version, &sink, st);
  });
  out.bytes = std::move(sink.bytes);
  return out;
}

std::string Backend::fetch_version(uint64_t version) {
  if (!supports_deltas())
    throw Error(BERTH_E_NOT_FOUND, context_of(*plugin_, "fetch_version") + ": this backend keeps no older versions");
  berth_sink sink;
  call_plugin(*plugin_, "fetch_version", [&](berth_status* st) {
    return plugin_->backend.fetch_version(self_, version, &sink, st);
  });
  return std::move(sink.bytes);
}

std::vector<std::string> Backend::drain() {
  berth_sink sink;
  call_plugin(*plugin_, "drain", [&](berth_status* st) { return plugin_->backend.drain(self_, &sink, st); });
  std::vector<std::string> out;
  out.reserve(sink.items.size());
  for (auto& item : sink.items) out.push_back(std::move(item.second));
  return out;
}

bool Backend::supports_intake_keys() const {
  const auto& b = plugin_->backend;
  return b.peek_intake != nullptr && b.settle_intake != nullptr;
}

std::vector<std::pair<std::string, std::string>> Backend::peek_intake() {
  if (!supports_intake_keys())
    throw Error(BERTH_E_STATE, context_of(*plugin_, "peek_intake") + ": this backend only drains its intake");
  berth_sink sink;
  call_plugin(*plugin_, "peek_intake", [&](berth_status* st) { return plugin_->backend.peek_intake(self_, &sink, st); });
  // The engine remembers keys across refreshes: one without a key, or with another record's,
  // would be skipped and then settled unread.
  std::unordered_set<std::string_view> keys;
  for (const auto& [key, record] : sink.items)
    if (key.empty() || !keys.insert(key).second)
      throw Error(BERTH_E_PLUGIN, context_of(*plugin_, "peek_intake") + ": " +
                                      (key.empty() ? std::string("a record without a key")
                                                   : "two records with the key '" + key + "'"));
  return std::move(sink.items);
}

void Backend::settle_intake(const std::vector<std::string>& keys) {
  if (!supports_intake_keys())
    throw Error(BERTH_E_STATE, context_of(*plugin_, "settle_intake") + ": this backend only drains its intake");
  std::string arena;
  std::vector<uint64_t> offsets{0};
  offsets.reserve(keys.size() + 1);
  for (const std::string& key : keys) {
    arena += key;
    offsets.push_back(arena.size());
  }
  call_plugin(*plugin_, "settle_intake", [&](berth_status* st) {
    return plugin_->backend.settle_intake(self_, arena.data(), offsets.data(), keys.size(), st);
  });
}

bool Backend::supports_lease() const { return plugin_->backend.lease != nullptr; }

Backend::Lease Backend::lease() const {
  if (!supports_lease())
    throw Error(BERTH_E_STATE, context_of(*plugin_, "lease") + ": this backend reports no lease (built before ABI 1.4)");
  berth_lease out{};
  out.struct_size = BERTH_SIZE_THROUGH(berth_lease, vanish_wait_ns);
  call_plugin(*plugin_, "lease", [&](berth_status* st) { return plugin_->backend.lease(self_, &out, st); });
  if (out.held != 0 && out.session == 0)
    throw Error(BERTH_E_PLUGIN, context_of(*plugin_, "lease") + ": reports a held lease with session 0");
  // A plugin built before ABI 1.6 leaves vanish_wait_ns as zeroed above: members it reports gone
  // are taken as gone for good, as they were then.
  return {out.held != 0, out.valid_until_ns, out.session, out.vanish_wait_ns};
}

}  // namespace berth
