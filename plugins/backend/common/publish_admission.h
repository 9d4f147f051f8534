// The rule every backend applies before a publication takes effect (berth/plugin.h, publish and
// publish_based), whatever it stores the snapshot in:
//   1. only the instance that leads may publish, and only at the epoch it leads at: anything else
//      is BERTH_E_FENCED, naming who leads instead;
//   2. versions increase: a version not above the latest is BERTH_E_STATE (version 0 never is);
//   3. a delta's base must be kept from now on: the latest, when that is self-contained, or the
//      latest's own base; any other base is BERTH_E_NOT_FOUND.
// A backend checks 1 against its election and 2 and 3 against its latest pointer, under whatever
// makes the publication atomic, and keeps the base admit() names.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "berth/plugin.hpp"

namespace berth::backend {

// The newest version a backend holds, and the version it is based on (0: self-contained).
struct LatestVersion {
  uint64_t version = 0;
  uint64_t base = 0;
};

// Which kept version an admitted publication is based on.
enum class BaseOf {
  nothing,      // self-contained
  latest,       // the latest version, itself self-contained
  latest_base,  // the latest version's base
};

class PublishAdmission {
 public:
  // `store` names what is published to, for messages ("cluster 'a'", "'/var/lib/berth'", ...).
  PublishAdmission(uint64_t epoch, uint64_t version, uint64_t base_version, std::string store)
      : epoch_(epoch), version_(version), base_version_(base_version), store_(std::move(store)) {}

  // Rule 1. `describe_leader()` says who leads (and at which epoch), and is only called to fence.
  template <class DescribeLeader>
  void require_leader(bool leads, uint64_t leader_epoch, DescribeLeader&& describe_leader) const {
    if (!leads) fenced("this backend instance does not lead " + store_, describe_leader());
    if (epoch_ != leader_epoch) fenced("epoch " + std::to_string(epoch_) + " is not current", describe_leader());
  }

  // A publication found fenced some other way (a backend that learns it at commit time).
  [[noreturn]] void fenced(const std::string& why, const std::string& leader) const {
    throw plugin::Error(BERTH_E_FENCED, attempt() + " fenced: " + why + "; " + leader);
  }

  // Rules 2 and 3 against what the store holds now.
  BaseOf admit(const LatestVersion& latest) const {
    if (version_ == 0)
      throw plugin::Error(BERTH_E_STATE, attempt() + " refused: versions start at 1");
    if (version_ <= latest.version)
      throw plugin::Error(BERTH_E_STATE, attempt() + " refused: " + store_ + " already has version " +
                                             std::to_string(latest.version) + "; versions must increase");
    if (base_version_ == 0) return BaseOf::nothing;
    if (base_version_ == latest.version && latest.base == 0) return BaseOf::latest;
    if (base_version_ == latest.base) return BaseOf::latest_base;
    throw plugin::Error(BERTH_E_NOT_FOUND,
                        attempt() + " refused: its base, version " + std::to_string(base_version_) + ", is not kept by " +
                            store_ + " (the latest is version " + std::to_string(latest.version) +
                            (latest.base != 0 ? ", based on version " + std::to_string(latest.base) : "") + ")");
  }

 private:
  std::string attempt() const {
    return "publish of version " + std::to_string(version_) + " at epoch " + std::to_string(epoch_);
  }

  uint64_t epoch_;
  uint64_t version_;
  uint64_t base_version_;
  std::string store_;
};

}  // namespace berth::backend
