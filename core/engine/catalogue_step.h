// The glue between a refresh and the catalogue's migration step (catalogue/migrations.h): the
// intake records of ops 8..12 as the step's requests, and the step's settings from [catalogue].
#pragma once

#include <vector>

#include "catalogue/migrations.h"
#include "config/options.h"
#include "engine/pending_changes.h"
#include "plugin/instances.h"

namespace berth {

// pending.catalogue()'s records of ops 8..12, in the order heard.
std::vector<catalogue::Request> catalogue_requests(const PendingChanges& pending);
catalogue::Settings catalogue_settings(const CatalogueOptions& options);

// The migration step of one refresh, after the policy's rebalance (`request`, whose owners are
// `owner`): pins running migrations in `owner`; a migration whose destination the policy
// chooses runs `request` again with its source draining.
catalogue::StepResult run_catalogue_step(const Snapshot* base, const ServerColumns& servers, const StreamColumns& streams,
                                         const std::vector<uint32_t>& previous, const PendingChanges& pending,
                                         const Provenance& meta, const catalogue::Settings& settings,
                                         const Policy& policy, const berth_rebalance_request& request,
                                         std::vector<uint32_t>& owner);

}  // namespace berth
