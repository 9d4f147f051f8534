#include "snapshot/operator_servers.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "berth/abi.h"
#include "common/error.h"

namespace berth {

const OperatorServer* OperatorServers::find(std::string_view id) const noexcept {
  auto it = std::lower_bound(servers.begin(), servers.end(), id,
                             [](const OperatorServer& s, std::string_view key) { return s.id < key; });
  return it != servers.end() && it->id == id ? &*it : nullptr;
}

bool has_member(const ServerColumns& servers, uint32_t index, const OperatorServer* entry) noexcept {
  const bool registered = entry != nullptr && entry->registered;
  return !(registered && servers.incarnation_of(index) == 0 && !servers.serving_of(index));
}

std::string operator_server_problem(const OperatorServer& server) {
  if (server.id.empty()) return "a server id is empty";
  if (server.id.size() > kMaxOperatorServerIdBytes)
    return fmt::format("server id of {} bytes (starts '{}') is longer than a server id may be ({} bytes)",
                       server.id.size(), server.id.substr(0, 32), kMaxOperatorServerIdBytes);
  if (server.capacity && (!std::isfinite(*server.capacity) || *server.capacity <= 0))
    return fmt::format("server '{}': capacity {} is not a positive number", server.id, *server.capacity);
  if (server.state && server_state_name(*server.state) == nullptr)
    return fmt::format("server '{}': state {} is not up (0), draining (1) or read-only (2)", server.id, *server.state);
  if (server.labels) {
    const std::string text = format_labels(*server.labels);
    try {
      if (parse_labels(text) != *server.labels) return fmt::format("server '{}': labels '{}' are not sorted or not unique", server.id, text);
    } catch (const Error& e) {
      return fmt::format("server '{}': {}", server.id, e.what());
    }
  }
  return {};
}

const char* server_state_name(int32_t state) noexcept {
  switch (state) {
    case BERTH_SERVER_UP: return "up";
    case BERTH_SERVER_DRAINING: return "draining";
    case BERTH_SERVER_READ_ONLY: return "read-only";
    default: return nullptr;
  }
}

std::optional<int32_t> server_state_from_name(std::string_view name) noexcept {
  if (name == "up") return BERTH_SERVER_UP;
  if (name == "draining") return BERTH_SERVER_DRAINING;
  if (name == "read-only") return BERTH_SERVER_READ_ONLY;
  return std::nullopt;
}

}  // namespace berth
