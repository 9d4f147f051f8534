// `berth show`: the snapshot a backend serves now, for an operator: provenance, balance, and per
// server its state, capacity, labels, streams and load.
#pragma once

#include "tools/rules_cluster.h"

namespace berth::cli {

struct ShowOptions {
  tools::ClusterSource source;  // --config / --set name the backend; --timeout
  bool json = false;
};

int run_show(const ShowOptions& options);

}  // namespace berth::cli
