#include "snapshot/weighting.h"

#include <algorithm>

#include "snapshot/snapshot.h"

namespace berth {

const Signal* WeighedServer::signal(std::string_view name) const noexcept {
  auto it = std::lower_bound(signals.begin(), signals.end(), name,
                             [](const Signal& s, std::string_view n) { return s.name < n; });
  return it != signals.end() && it->name == name ? &*it : nullptr;
}

const WeighedServer* Weighting::find(std::string_view id) const noexcept {
  auto it = std::lower_bound(servers.begin(), servers.end(), id,
                             [](const WeighedServer& s, std::string_view i) { return s.id < i; });
  return it != servers.end() && it->id == id ? &*it : nullptr;
}

const WeighedServer* weighed_server(const Snapshot& snapshot, uint32_t j) noexcept {
  if (!snapshot.weighting || j >= snapshot.weighting->servers.size() || j >= snapshot.server_count()) return nullptr;
  const WeighedServer& w = snapshot.weighting->servers[j];
  return w.id == snapshot.servers->ids.at(j) ? &w : nullptr;
}

std::string signal_name_problem(std::string_view name) {
  if (name.empty()) return "the signal name is empty";
  if (name.size() > kMaxSignalNameBytes)
    return "the signal name is " + std::to_string(name.size()) + " bytes, more than " +
           std::to_string(kMaxSignalNameBytes);
  for (size_t i = 0; i < name.size(); ++i)
    if (static_cast<unsigned char>(name[i]) < 0x20 || name[i] == 0x7f)
      return "the signal name has a control character at byte " + std::to_string(i);
  return "";
}

}  // namespace berth
