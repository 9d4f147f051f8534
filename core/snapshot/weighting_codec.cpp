#include "snapshot/weighting_codec.h"

#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth {
namespace {

constexpr size_t kMaxPluginBytes = 4096;  // a name or a path to a .so

void set_text(capnp::Text::Builder into, std::string_view text) { std::memcpy(into.begin(), text.data(), text.size()); }
std::string_view text(capnp::Text::Reader t) { return {t.begin(), t.size()}; }

[[noreturn]] void corrupt(const std::string& what) { throw Error(BERTH_E_CORRUPT, "snapshot weighting: " + what); }

bool positive(double v) { return std::isfinite(v) && v > 0; }

}  // namespace

void encode_weighting(schema::Snapshot::Builder root, const Weighting& weighting) {
  auto out = root.initWeighting();
  set_text(out.initPlugin(static_cast<unsigned>(weighting.plugin.size())), weighting.plugin);
  auto servers = out.initServers(static_cast<unsigned>(weighting.servers.size()));
  for (unsigned i = 0; i < weighting.servers.size(); ++i) {
    const WeighedServer& w = weighting.servers[i];
    auto srv = servers[i];
    set_text(srv.initId(static_cast<unsigned>(w.id.size())), w.id);
    srv.setCapacity(w.capacity);
    srv.setFactor(w.factor);
    srv.setFollowing(w.following);
    auto signals = srv.initSignals(static_cast<unsigned>(w.signals.size()));
    for (unsigned k = 0; k < w.signals.size(); ++k) {
      set_text(signals[k].initName(static_cast<unsigned>(w.signals[k].name.size())), w.signals[k].name);
      signals[k].setValue(w.signals[k].value);
    }
  }
}

std::shared_ptr<const Weighting> decode_weighting(schema::Snapshot::Reader root, const ServerColumns& servers) {
  if (!root.hasWeighting()) return nullptr;
  auto in = root.getWeighting();
  auto out = std::make_shared<Weighting>();
  std::string_view plugin = text(in.getPlugin());
  if (plugin.empty() || plugin.size() > kMaxPluginBytes)
    corrupt("the weigher's name is " + std::to_string(plugin.size()) + " bytes (1 to " + std::to_string(kMaxPluginBytes) + ")");
  out->plugin = std::string(plugin);
  auto list = in.getServers();
  if (list.size() != servers.size())
    corrupt(std::to_string(list.size()) + " servers weighed, the version has " + std::to_string(servers.size()));
  out->servers.reserve(list.size());
  for (unsigned i = 0; i < list.size(); ++i) {
    auto srv = list[i];
    const std::string where = "server #" + std::to_string(i);
    std::string_view id = text(srv.getId());
    if (id != servers.ids.at(i))
      corrupt(where + " is '" + std::string(id.substr(0, 64)) + "', the version's is '" +
              std::string(servers.ids.at(i).substr(0, 64)) + "'");
    WeighedServer w;
    w.id = std::string(id);
    w.capacity = srv.getCapacity();
    w.factor = srv.getFactor();
    if (!positive(w.capacity)) corrupt(where + " ('" + w.id.substr(0, 64) + "') has capacity " + std::to_string(w.capacity));
    if (!positive(w.factor)) corrupt(where + " ('" + w.id.substr(0, 64) + "') has factor " + std::to_string(w.factor));
    w.following = srv.getFollowing();
    if (w.following < -1 || w.following > 1)
      corrupt(where + " ('" + w.id.substr(0, 64) + "') follows in direction " + std::to_string(w.following));
    auto signals = srv.getSignals();
    if (signals.size() > kMaxSignalsPerServer)
      corrupt(where + " has " + std::to_string(signals.size()) + " signals, more than " + std::to_string(kMaxSignalsPerServer));
    w.signals.reserve(signals.size());
    for (unsigned k = 0; k < signals.size(); ++k) {
      std::string_view name = text(signals[k].getName());
      const std::string signal_where = where + " signal #" + std::to_string(k);
      if (std::string problem = signal_name_problem(name); !problem.empty()) corrupt(signal_where + ": " + problem);
      if (!w.signals.empty() && !(w.signals.back().name < name))
        corrupt(signal_where + " ('" + std::string(name) + "') is not after '" + w.signals.back().name + "'");
      const double value = signals[k].getValue();
      if (!std::isfinite(value)) corrupt(signal_where + " ('" + std::string(name) + "') is not finite");
      w.signals.push_back(Signal{std::string(name), value});
    }
    out->servers.push_back(std::move(w));
  }
  return out;
}

}  // namespace berth
