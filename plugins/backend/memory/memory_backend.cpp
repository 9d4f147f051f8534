#include "memory_backend.h"

#include <cstdint>
#include <utility>

#include "cluster_directory.h"
#include "record_keys.h"

namespace berth::memory {
namespace {

std::string cluster_name(plugin::Config& config) {
  std::string name = config.text("cluster", "default");
  if (name.empty()) throw plugin::Error(BERTH_E_CONFIG, config.where(*config.find("cluster")) + "must not be empty");
  return name;
}

SessionId session_to_expire(plugin::Config& config) {
  const berth_kv* kv = config.find("expire_session");
  if (kv == nullptr) return 0;
  const double value = config.number("expire_session", 0, 1, 9007199254740992.0);
  const auto session = static_cast<SessionId>(value);
  if (static_cast<double>(session) != value)
    throw plugin::Error(BERTH_E_CONFIG, config.where(*kv) + "'" + kv->value + "' is not a session number");
  return session;
}

}  // namespace

MemoryBackend::MemoryBackend(const berth_host_api* host, plugin::Config& config, const berth_backend_watch* watch)
    : host_(host) {
  std::string name = cluster_name(config);
  const SessionId expire = session_to_expire(config);
  config.reject_unknown();  // before joining the cluster: a rejected instance leaves no trace
  watch_ = std::make_shared<backend::WatchRelay>(watch);
  cluster_ = find_or_create_cluster(name);
  if (expire != 0) cluster_->expire_session(expire);
  cluster_->open_session(watch_, state_);
}

// Silence our own watch first, so the host is never called once destroy() returns, then end the
// session: the other instances see its members and candidacy go.
MemoryBackend::~MemoryBackend() {
  watch_->close();
  if ((state_->load() & kSessionEnded) == 0) cluster_->close_session(session());
}

plugin::Lease MemoryBackend::lease() const {
  const uint64_t state = state_->load();
  return {(state & kSessionEnded) == 0 && state != 0, UINT64_MAX, state & ~kSessionEnded};
}

SessionId MemoryBackend::live_session_locked() {
  if ((state_->load() & kSessionEnded) == 0) return session();
  const SessionId session = cluster_->open_session(watch_, state_);
  for (const auto& [id, info] : joined_) {
    try {
      cluster_->join(session, id, info);
    } catch (const plugin::Error& e) {
      // As the zookeeper backend after a new session: someone else holds the id now.
      plugin::log(host_, BERTH_LOG_WARN, std::string("memory backend, after a new session: ") + e.what());
    }
  }
  if (campaigning_) cluster_->campaign(session);
  return session;
}

void MemoryBackend::join(std::string_view member, std::string_view info) {
  std::lock_guard lock(mutex_);
  cluster_->join(live_session_locked(), member, info);
  joined_.insert_or_assign(std::string(member), std::string(info));
}

void MemoryBackend::leave(std::string_view member) {
  std::lock_guard lock(mutex_);
  // With its session ended the member is gone already.
  if ((state_->load() & kSessionEnded) == 0) cluster_->leave(session(), member);
  if (auto it = joined_.find(member); it != joined_.end()) joined_.erase(it);
}

void MemoryBackend::members(const plugin::Sink& out) {
  for (const auto& [id, info] : cluster_->members()) out.item(id, info.data(), info.size());
}

void MemoryBackend::campaign() {
  std::lock_guard lock(mutex_);
  cluster_->campaign(live_session_locked());
  campaigning_ = true;
}

void MemoryBackend::resign() {
  std::lock_guard lock(mutex_);
  campaigning_ = false;
  if ((state_->load() & kSessionEnded) == 0) cluster_->resign(session());
}

plugin::Leadership MemoryBackend::leadership() { return cluster_->leadership(session()); }

void MemoryBackend::publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes) {
  // Copied before taking the cluster lock: a snapshot may be tens of megabytes.
  cluster_->publish(session(), epoch, version, std::make_shared<const std::string>(bytes), base_version);
}

plugin::Fetched MemoryBackend::fetch_latest(uint64_t known_version, const plugin::Sink& out) {
  Cluster::Published latest = cluster_->latest();
  if (latest.version > known_version && latest.bytes != nullptr) out.write(latest.bytes->data(), latest.bytes->size());
  return {latest.version, latest.base_version};
}

void MemoryBackend::fetch_version(uint64_t version, const plugin::Sink& out) {
  Cluster::Published kept = cluster_->kept(version);
  if (kept.version == 0 || kept.bytes == nullptr)
    throw plugin::Error(BERTH_E_NOT_FOUND, "fetch_version: cluster '" + cluster_->name() + "' does not keep version " +
                                               std::to_string(version) + " (it keeps the latest and the latest's base)");
  out.write(kept.bytes->data(), kept.bytes->size());
}

void MemoryBackend::submit(std::string_view record) { cluster_->submit(std::string(record)); }

void MemoryBackend::drain(const plugin::Sink& out) {
  Cluster::Intake records = cluster_->take_intake(session());
  try {
    for (const auto& [seq, record] : records) out.item("", record->data(), record->size());
  } catch (...) {
    // The host lost the partial answer with the error: keep every record pending.
    cluster_->give_back_intake(std::move(records));
    throw;
  }
}

void MemoryBackend::peek_intake(const plugin::Sink& out) {
  for (const auto& [seq, record] : cluster_->peek_intake(session()))
    out.item(backend::record_key(seq), record->data(), record->size());
}

void MemoryBackend::settle_intake(const std::vector<std::string_view>& keys) {
  cluster_->settle_intake(backend::parse_record_keys(keys, "memory backend, cluster '" + cluster_->name() + "'"));
}

}  // namespace berth::memory

// A test fixture (tests/fixtures/plugins/drain_only_backend.cpp) reuses this class under an
// older function table, with an entry of its own.
#ifndef BERTH_MEMORY_BACKEND_WITHOUT_ENTRY
BERTH_DEFINE_BACKEND_PLUGIN(berth::memory::MemoryBackend, "memory", "1.1.0")
#endif
