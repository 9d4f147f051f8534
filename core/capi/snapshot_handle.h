// The berth_snapshot handle, shared by the C API files that read snapshots (snapshot_api.cpp,
// rules_api.cpp).
#pragma once

#include <memory>

#include "snapshot/snapshot.h"

struct berth_snapshot {
  std::shared_ptr<const berth::Snapshot> snapshot;
};
