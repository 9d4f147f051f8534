#include "engine/registrations.h"

#include <random>

namespace berth {

uint64_t Registrations::new_incarnation() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  uint64_t value = 0;
  while (value == 0) value = generator();
  return value;
}

ServerInfo Registrations::joining(std::string_view server, double capacity, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = servers_.find(server);
  ServerInfo info{capacity, BERTH_SERVER_UP, labels, 0};
  if (it != servers_.end()) {
    info.state = it->second.state;
    info.incarnation = it->second.incarnation;
  } else {
    info.incarnation = new_incarnation();
  }
  return info;
}

void Registrations::registered(std::string_view server, const ServerInfo& info) {
  std::lock_guard lock(mutex_);
  servers_.insert_or_assign(std::string(server), info);
}

void Registrations::forget(std::string_view server) {
  std::lock_guard lock(mutex_);
  if (auto it = servers_.find(server); it != servers_.end()) servers_.erase(it);
}

std::optional<ServerInfo> Registrations::find(std::string_view server) const {
  std::lock_guard lock(mutex_);
  auto it = servers_.find(server);
  if (it == servers_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, ServerInfo>> Registrations::all() const {
  std::lock_guard lock(mutex_);
  return {servers_.begin(), servers_.end()};
}

}  // namespace berth
