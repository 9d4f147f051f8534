/*
 * The ABI headers as a C99 compiler sees them (frozen_layout.c holds every offset). Every
 * versioned struct must start with a 32-bit struct_size, its fields must be laid out in
 * declaration order without overlap, and BERTH_SIZE_THROUGH(last field) must cover the whole
 * struct apart from tail padding, so a struct declared "through its last field" is never shorter
 * than what the host reads.
 */
#include <stdio.h>

#include "berth/abi.h"
#include "berth/berth.h"
#include "berth/plugin.h"

static int failures = 0;

static void expect(int ok, const char *what, const char *condition) {
  if (!ok) {
    fprintf(stderr, "FAIL %s: %s\n", what, condition);
    ++failures;
  }
}

#define EXPECT(what, condition) expect((condition) ? 1 : 0, what, #condition)

/* struct_size first, 4 bytes wide. */
#define CHECK_VERSIONED(type)                                                        \
  do {                                                                               \
    EXPECT(#type, offsetof(type, struct_size) == 0);                                 \
    EXPECT(#type, sizeof(((type *)0)->struct_size) == sizeof(uint32_t));             \
  } while (0)

/* `next` starts at or after the end of `field`. */
#define CHECK_ORDER(type, field, next) \
  EXPECT(#type "." #field " then " #next, BERTH_SIZE_THROUGH(type, field) <= offsetof(type, next))

/* `last` is the last field: the size through it is the struct without its tail padding. */
#define CHECK_LAST(type, last)                                                       \
  do {                                                                               \
    EXPECT(#type "." #last, BERTH_SIZE_THROUGH(type, last) <= sizeof(type));         \
    EXPECT(#type "." #last, sizeof(type) - BERTH_SIZE_THROUGH(type, last) < 8);      \
  } while (0)

static void check_abi_h(void) {
  EXPECT("abi major", BERTH_ABI_MAJOR >= 1);
  EXPECT("host API major", BERTH_API_VERSION_MAJOR >= 1);
  EXPECT("BERTH_NO_SERVER", BERTH_NO_SERVER == 0xFFFFFFFFu);

  CHECK_VERSIONED(berth_host_api);
  CHECK_ORDER(berth_host_api, struct_size, abi_major);
  CHECK_ORDER(berth_host_api, abi_major, abi_minor);
  CHECK_ORDER(berth_host_api, abi_minor, status_set);
  CHECK_ORDER(berth_host_api, status_set, sink_write);
  CHECK_ORDER(berth_host_api, sink_write, sink_item);
  CHECK_ORDER(berth_host_api, sink_item, log);
  CHECK_ORDER(berth_host_api, log, host_data);
  CHECK_LAST(berth_host_api, host_data);

  CHECK_VERSIONED(berth_config);
  CHECK_ORDER(berth_config, struct_size, items);
  CHECK_ORDER(berth_config, items, count);
  CHECK_ORDER(berth_config, count, section);
  CHECK_ORDER(berth_config, section, kinds);
  CHECK_LAST(berth_config, kinds);
}

static void check_plugin_h(void) {
  CHECK_VERSIONED(berth_plugin_descriptor);
  CHECK_ORDER(berth_plugin_descriptor, struct_size, abi_major);
  CHECK_ORDER(berth_plugin_descriptor, abi_major, abi_minor);
  CHECK_ORDER(berth_plugin_descriptor, abi_minor, kind);
  CHECK_ORDER(berth_plugin_descriptor, kind, name);
  CHECK_ORDER(berth_plugin_descriptor, name, version);
  CHECK_ORDER(berth_plugin_descriptor, version, functions);
  CHECK_LAST(berth_plugin_descriptor, functions);
  /* abi_major and abi_minor sit where every future descriptor keeps them. */
  EXPECT("descriptor abi_major offset", offsetof(berth_plugin_descriptor, abi_major) == 4);
  EXPECT("descriptor abi_minor offset", offsetof(berth_plugin_descriptor, abi_minor) == 6);

  CHECK_VERSIONED(berth_server_set);
  CHECK_ORDER(berth_server_set, count, id_arena);
  CHECK_ORDER(berth_server_set, id_offsets, capacity);
  CHECK_ORDER(berth_server_set, capacity, state);
  CHECK_LAST(berth_server_set, state);

  CHECK_VERSIONED(berth_stream_set);
  CHECK_ORDER(berth_stream_set, count, id_arena);
  CHECK_ORDER(berth_stream_set, hash, tenant);
  CHECK_ORDER(berth_stream_set, tenant_count, tenant_arena);
  CHECK_ORDER(berth_stream_set, tenant_offsets, reported_load);
  CHECK_LAST(berth_stream_set, reported_load);

  CHECK_VERSIONED(berth_appraiser_functions);
  CHECK_ORDER(berth_appraiser_functions, create, destroy);
  CHECK_ORDER(berth_appraiser_functions, destroy, appraise);
  CHECK_LAST(berth_appraiser_functions, appraise);

  CHECK_VERSIONED(berth_rebalance_request);
  CHECK_ORDER(berth_rebalance_request, servers, streams);
  CHECK_ORDER(berth_rebalance_request, load, previous_owner);
  CHECK_ORDER(berth_rebalance_request, previous_owner, constraints);
  CHECK_LAST(berth_rebalance_request, constraints);

  CHECK_VERSIONED(berth_placement_constraints);
  CHECK_ORDER(berth_placement_constraints, class_count, class_of);
  CHECK_ORDER(berth_placement_constraints, class_of, allowed_begin);
  CHECK_ORDER(berth_placement_constraints, allowed_begin, allowed);
  CHECK_ORDER(berth_placement_constraints, allowed, preferred_begin);
  CHECK_ORDER(berth_placement_constraints, preferred_begin, preferred);
  CHECK_LAST(berth_placement_constraints, preferred);

  CHECK_VERSIONED(berth_policy_functions);
  CHECK_ORDER(berth_policy_functions, struct_size, behaviour_version);
  CHECK_ORDER(berth_policy_functions, behaviour_version, create);
  CHECK_ORDER(berth_policy_functions, rebalance, placer_create);
  CHECK_ORDER(berth_policy_functions, placer_create, place);
  CHECK_ORDER(berth_policy_functions, place, placer_destroy);
  CHECK_ORDER(berth_policy_functions, placer_destroy, default_owners);
  CHECK_LAST(berth_policy_functions, default_owners);

  CHECK_VERSIONED(berth_backend_watch);
  CHECK_LAST(berth_backend_watch, changed);

  CHECK_VERSIONED(berth_leadership);
  CHECK_ORDER(berth_leadership, epoch, is_leader);
  CHECK_ORDER(berth_leadership, is_leader, connected);
  CHECK_LAST(berth_leadership, connected);

  CHECK_VERSIONED(berth_backend_functions);
  CHECK_ORDER(berth_backend_functions, create, destroy);
  CHECK_ORDER(berth_backend_functions, publish, fetch);
  CHECK_ORDER(berth_backend_functions, submit, drain);
  /* ABI 1.1: appended after drain, in this order. */
  CHECK_ORDER(berth_backend_functions, drain, publish_based);
  CHECK_ORDER(berth_backend_functions, publish_based, fetch_latest);
  CHECK_ORDER(berth_backend_functions, fetch_latest, fetch_version);
  /* ABI 1.3: appended after fetch_version, in this order. */
  CHECK_ORDER(berth_backend_functions, fetch_version, peek_intake);
  CHECK_ORDER(berth_backend_functions, peek_intake, settle_intake);
  CHECK_ORDER(berth_backend_functions, settle_intake, lease);
  CHECK_LAST(berth_backend_functions, lease);
  CHECK_VERSIONED(berth_lease);
  CHECK_ORDER(berth_lease, held, valid_until_ns);
  CHECK_ORDER(berth_lease, valid_until_ns, session);
  CHECK_ORDER(berth_lease, session, vanish_wait_ns);
  CHECK_LAST(berth_lease, vanish_wait_ns);

  /* The change bits are distinct single bits. */
  EXPECT("change bits", (BERTH_CHANGED_MEMBERS | BERTH_CHANGED_LEADER | BERTH_CHANGED_SNAPSHOT |
                         BERTH_CHANGED_INTAKE | BERTH_CHANGED_CONNECTION) == 31u);
}

static void check_berth_h(void) {
  CHECK_VERSIONED(berth_engine_status);
  CHECK_ORDER(berth_engine_status, version, epoch);
  CHECK_ORDER(berth_engine_status, degraded, server_count);
  CHECK_LAST(berth_engine_status, stream_count);

  CHECK_VERSIONED(berth_metrics);
  CHECK_ORDER(berth_metrics, version, max_load);
  CHECK_ORDER(berth_metrics, lookups_unknown, oversized_streams);
  CHECK_ORDER(berth_metrics, oversized_streams, snapshots_rejected);
  CHECK_ORDER(berth_metrics, snapshots_rejected, intake_rejected);
  CHECK_ORDER(berth_metrics, rules_kept_owner, rules_violations);
  CHECK_ORDER(berth_metrics, rules_violations, handoffs_started);
  CHECK_ORDER(berth_metrics, unheld_stream_seconds, leases_lost);
  CHECK_LAST(berth_metrics, streams_held);
  CHECK_VERSIONED(berth_ownership_event);
  CHECK_ORDER(berth_ownership_event, kind, stream);
  CHECK_LAST(berth_ownership_event, ended_ns);
}

int main(void) {
  check_abi_h();
  check_plugin_h();
  check_berth_h();
  if (failures != 0) {
    fprintf(stderr, "%d layout check(s) failed\n", failures);
    return 1;
  }
  printf("ABI headers: layout checks passed (plugin ABI %d.%d, host C API %d.%d)\n", BERTH_ABI_MAJOR,
         BERTH_ABI_MINOR, BERTH_API_VERSION_MAJOR, BERTH_API_VERSION_MINOR);
  return 0;
}
