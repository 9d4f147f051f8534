// A node's own ownership.soft_handoff against the mode the leader published (Provenance::
// soft_handoff): the leader's mode is the one in force, so a node whose setting differs is told,
// once per change of the published mode, in the log.
//
// Threads: one at a time (the engine calls it under its install lock).
#pragma once

#include <optional>
#include <string>

#include "snapshot/snapshot.h"

namespace berth {

class HandoffMode {
 public:
  HandoffMode(bool own, std::string node_id) : own_(own), node_id_(std::move(node_id)) {}

  // After each install. True when it logged a warning: the published mode differs from this
  // node's and is not the mode the previous call saw.
  bool installed(const Provenance& meta);

 private:
  const bool own_;
  const std::string node_id_;
  std::optional<bool> published_;  // the mode of the last installed version
};

}  // namespace berth
