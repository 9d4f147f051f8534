/*
 * The layout of every struct of the C headers (berth/abi.h, berth/plugin.h, berth/berth.h),
 * frozen: the size of each struct and the offset and size of each field, as they are on LP64
 * targets (x86-64, AArch64). A plugin or host built against an earlier header reads these
 * offsets, so a field that moves or changes size is an ABI break; this file then fails to
 * compile, naming the struct and field (a negative array size in frozen_offsetof_<type>__<field>
 * or frozen_sizeof_<type>__<field>).
 *
 * An append (the only change the rules allow, see berth/abi.h) adds a FROZEN_FIELD line and
 * updates the struct's FROZEN_SIZE; nothing else here ever changes. Strict C99, so no
 * _Static_assert: a typedef of an array whose size is -1 when the condition is false.
 */
#include <stddef.h>
#include <stdint.h>

#include "berth/abi.h"
#include "berth/berth.h"
#include "berth/plugin.h"

#if !defined(__LP64__) || UINTPTR_MAX != 0xFFFFFFFFFFFFFFFFu
#error "tests/abi/frozen_layout.c holds the LP64 layout; add this target's layout before building it here"
#endif

#define FROZEN_CHECK_(name, condition) typedef char name[(condition) ? 1 : -1]
#define FROZEN_SIZE(type, size) FROZEN_CHECK_(frozen_sizeof_##type, sizeof(type) == (size))
#define FROZEN_FIELD(type, field, offset, size)                                      \
  FROZEN_CHECK_(frozen_offsetof_##type##__##field, offsetof(type, field) == (offset)); \
  FROZEN_CHECK_(frozen_sizeof_##type##__##field, sizeof(((type *)0)->field) == (size))

/* berth/abi.h */
FROZEN_SIZE(berth_host_api, 48);
FROZEN_FIELD(berth_host_api, struct_size, 0, 4);
FROZEN_FIELD(berth_host_api, abi_major, 4, 2);
FROZEN_FIELD(berth_host_api, abi_minor, 6, 2);
FROZEN_FIELD(berth_host_api, status_set, 8, 8);
FROZEN_FIELD(berth_host_api, sink_write, 16, 8);
FROZEN_FIELD(berth_host_api, sink_item, 24, 8);
FROZEN_FIELD(berth_host_api, log, 32, 8);
FROZEN_FIELD(berth_host_api, host_data, 40, 8);

FROZEN_SIZE(berth_kv, 24);
FROZEN_FIELD(berth_kv, key, 0, 8);
FROZEN_FIELD(berth_kv, value, 8, 8);
FROZEN_FIELD(berth_kv, where, 16, 8);

FROZEN_SIZE(berth_config, 40);
FROZEN_FIELD(berth_config, struct_size, 0, 4);
FROZEN_FIELD(berth_config, items, 8, 8);
FROZEN_FIELD(berth_config, count, 16, 8);
FROZEN_FIELD(berth_config, section, 24, 8);
FROZEN_FIELD(berth_config, kinds, 32, 8);

/* berth/plugin.h */
FROZEN_SIZE(berth_plugin_descriptor, 40);
FROZEN_FIELD(berth_plugin_descriptor, struct_size, 0, 4);
FROZEN_FIELD(berth_plugin_descriptor, abi_major, 4, 2);
FROZEN_FIELD(berth_plugin_descriptor, abi_minor, 6, 2);
FROZEN_FIELD(berth_plugin_descriptor, kind, 8, 4);
FROZEN_FIELD(berth_plugin_descriptor, name, 16, 8);
FROZEN_FIELD(berth_plugin_descriptor, version, 24, 8);
FROZEN_FIELD(berth_plugin_descriptor, functions, 32, 8);

FROZEN_SIZE(berth_server_set, 40);
FROZEN_FIELD(berth_server_set, struct_size, 0, 4);
FROZEN_FIELD(berth_server_set, count, 4, 4);
FROZEN_FIELD(berth_server_set, id_arena, 8, 8);
FROZEN_FIELD(berth_server_set, id_offsets, 16, 8);
FROZEN_FIELD(berth_server_set, capacity, 24, 8);
FROZEN_FIELD(berth_server_set, state, 32, 8);

FROZEN_SIZE(berth_stream_set, 80);
FROZEN_FIELD(berth_stream_set, struct_size, 0, 4);
FROZEN_FIELD(berth_stream_set, count, 8, 8);
FROZEN_FIELD(berth_stream_set, id_arena, 16, 8);
FROZEN_FIELD(berth_stream_set, id_offsets, 24, 8);
FROZEN_FIELD(berth_stream_set, hash, 32, 8);
FROZEN_FIELD(berth_stream_set, tenant, 40, 8);
FROZEN_FIELD(berth_stream_set, tenant_count, 48, 4);
FROZEN_FIELD(berth_stream_set, tenant_arena, 56, 8);
FROZEN_FIELD(berth_stream_set, tenant_offsets, 64, 8);
FROZEN_FIELD(berth_stream_set, reported_load, 72, 8);

FROZEN_SIZE(berth_appraiser_functions, 32);
FROZEN_FIELD(berth_appraiser_functions, struct_size, 0, 4);
FROZEN_FIELD(berth_appraiser_functions, create, 8, 8);
FROZEN_FIELD(berth_appraiser_functions, destroy, 16, 8);
FROZEN_FIELD(berth_appraiser_functions, appraise, 24, 8);

FROZEN_SIZE(berth_placement_constraints, 48);
FROZEN_FIELD(berth_placement_constraints, struct_size, 0, 4);
FROZEN_FIELD(berth_placement_constraints, class_count, 4, 4);
FROZEN_FIELD(berth_placement_constraints, class_of, 8, 8);
FROZEN_FIELD(berth_placement_constraints, allowed_begin, 16, 8);
FROZEN_FIELD(berth_placement_constraints, allowed, 24, 8);
FROZEN_FIELD(berth_placement_constraints, preferred_begin, 32, 8);
FROZEN_FIELD(berth_placement_constraints, preferred, 40, 8);

FROZEN_SIZE(berth_rebalance_request, 48);
FROZEN_FIELD(berth_rebalance_request, struct_size, 0, 4);
FROZEN_FIELD(berth_rebalance_request, servers, 8, 8);
FROZEN_FIELD(berth_rebalance_request, streams, 16, 8);
FROZEN_FIELD(berth_rebalance_request, load, 24, 8);
FROZEN_FIELD(berth_rebalance_request, previous_owner, 32, 8);
FROZEN_FIELD(berth_rebalance_request, constraints, 40, 8);

FROZEN_SIZE(berth_policy_functions, 64);
FROZEN_FIELD(berth_policy_functions, struct_size, 0, 4);
FROZEN_FIELD(berth_policy_functions, behaviour_version, 4, 4);
FROZEN_FIELD(berth_policy_functions, create, 8, 8);
FROZEN_FIELD(berth_policy_functions, destroy, 16, 8);
FROZEN_FIELD(berth_policy_functions, rebalance, 24, 8);
FROZEN_FIELD(berth_policy_functions, placer_create, 32, 8);
FROZEN_FIELD(berth_policy_functions, place, 40, 8);
FROZEN_FIELD(berth_policy_functions, placer_destroy, 48, 8);
FROZEN_FIELD(berth_policy_functions, default_owners, 56, 8);

FROZEN_SIZE(berth_backend_watch, 24);
FROZEN_FIELD(berth_backend_watch, struct_size, 0, 4);
FROZEN_FIELD(berth_backend_watch, context, 8, 8);
FROZEN_FIELD(berth_backend_watch, changed, 16, 8);

FROZEN_SIZE(berth_leadership, 24);
FROZEN_FIELD(berth_leadership, struct_size, 0, 4);
FROZEN_FIELD(berth_leadership, epoch, 8, 8);
FROZEN_FIELD(berth_leadership, is_leader, 16, 4);
FROZEN_FIELD(berth_leadership, connected, 20, 4);

FROZEN_SIZE(berth_backend_functions, 152);
FROZEN_FIELD(berth_backend_functions, struct_size, 0, 4);
FROZEN_FIELD(berth_backend_functions, create, 8, 8);
FROZEN_FIELD(berth_backend_functions, destroy, 16, 8);
FROZEN_FIELD(berth_backend_functions, join, 24, 8);
FROZEN_FIELD(berth_backend_functions, leave, 32, 8);
FROZEN_FIELD(berth_backend_functions, members, 40, 8);
FROZEN_FIELD(berth_backend_functions, campaign, 48, 8);
FROZEN_FIELD(berth_backend_functions, resign, 56, 8);
FROZEN_FIELD(berth_backend_functions, leadership, 64, 8);
FROZEN_FIELD(berth_backend_functions, publish, 72, 8);
FROZEN_FIELD(berth_backend_functions, fetch, 80, 8);
FROZEN_FIELD(berth_backend_functions, submit, 88, 8);
FROZEN_FIELD(berth_backend_functions, drain, 96, 8);
FROZEN_FIELD(berth_backend_functions, publish_based, 104, 8);
FROZEN_FIELD(berth_backend_functions, fetch_latest, 112, 8);
FROZEN_FIELD(berth_backend_functions, fetch_version, 120, 8);
FROZEN_FIELD(berth_backend_functions, peek_intake, 128, 8);
FROZEN_FIELD(berth_backend_functions, settle_intake, 136, 8);
FROZEN_FIELD(berth_backend_functions, lease, 144, 8);

FROZEN_SIZE(berth_lease, 32);
FROZEN_FIELD(berth_lease, struct_size, 0, 4);
FROZEN_FIELD(berth_lease, held, 4, 4);
FROZEN_FIELD(berth_lease, valid_until_ns, 8, 8);
FROZEN_FIELD(berth_lease, session, 16, 8);
FROZEN_FIELD(berth_lease, vanish_wait_ns, 24, 8);

FROZEN_SIZE(berth_signal_set, 40);
FROZEN_FIELD(berth_signal_set, struct_size, 0, 4);
FROZEN_FIELD(berth_signal_set, server_count, 4, 4);
FROZEN_FIELD(berth_signal_set, signal_begin, 8, 8);
FROZEN_FIELD(berth_signal_set, name_arena, 16, 8);
FROZEN_FIELD(berth_signal_set, name_offsets, 24, 8);
FROZEN_FIELD(berth_signal_set, value, 32, 8);

FROZEN_SIZE(berth_weigher_functions, 32);
FROZEN_FIELD(berth_weigher_functions, struct_size, 0, 4);
FROZEN_FIELD(berth_weigher_functions, create, 8, 8);
FROZEN_FIELD(berth_weigher_functions, destroy, 16, 8);
FROZEN_FIELD(berth_weigher_functions, weigh, 24, 8);

/* berth/berth.h */
FROZEN_SIZE(berth_engine_status, 48);
FROZEN_FIELD(berth_engine_status, struct_size, 0, 4);
FROZEN_FIELD(berth_engine_status, version, 8, 8);
FROZEN_FIELD(berth_engine_status, epoch, 16, 8);
FROZEN_FIELD(berth_engine_status, is_leader, 24, 4);
FROZEN_FIELD(berth_engine_status, degraded, 28, 4);
FROZEN_FIELD(berth_engine_status, server_count, 32, 4);
FROZEN_FIELD(berth_engine_status, stream_count, 40, 8);

FROZEN_SIZE(berth_metrics, 216);
FROZEN_FIELD(berth_metrics, struct_size, 0, 4);
FROZEN_FIELD(berth_metrics, version, 8, 8);
FROZEN_FIELD(berth_metrics, max_load, 16, 8);
FROZEN_FIELD(berth_metrics, min_load, 24, 8);
FROZEN_FIELD(berth_metrics, max_over_lb, 32, 8);
FROZEN_FIELD(berth_metrics, refresh_ms, 40, 8);
FROZEN_FIELD(berth_metrics, refresh_ok, 48, 8);
FROZEN_FIELD(berth_metrics, refresh_failed, 56, 8);
FROZEN_FIELD(berth_metrics, moved_streams, 64, 8);
FROZEN_FIELD(berth_metrics, moved_load_fraction, 72, 8);
FROZEN_FIELD(berth_metrics, lookups_unknown, 80, 8);
FROZEN_FIELD(berth_metrics, oversized_streams, 88, 8);
FROZEN_FIELD(berth_metrics, snapshots_rejected, 96, 8);
FROZEN_FIELD(berth_metrics, intake_rejected, 104, 8);
FROZEN_FIELD(berth_metrics, rules_hash, 112, 8);
FROZEN_FIELD(berth_metrics, rules_refused, 120, 8);
FROZEN_FIELD(berth_metrics, rules_problems, 128, 8);
FROZEN_FIELD(berth_metrics, rules_kept_owner, 136, 8);
FROZEN_FIELD(berth_metrics, rules_violations, 144, 8);
FROZEN_FIELD(berth_metrics, handoffs_started, 152, 8);
FROZEN_FIELD(berth_metrics, handoffs_completed, 160, 8);
FROZEN_FIELD(berth_metrics, handoffs_stalled, 168, 8);
FROZEN_FIELD(berth_metrics, streams_releasing, 176, 8);
FROZEN_FIELD(berth_metrics, streams_unheld, 184, 8);
FROZEN_FIELD(berth_metrics, unheld_stream_seconds, 192, 8);
FROZEN_FIELD(berth_metrics, leases_lost, 200, 8);
FROZEN_FIELD(berth_metrics, streams_held, 208, 8);

FROZEN_SIZE(berth_event, 48);
FROZEN_FIELD(berth_event, struct_size, 0, 4);
FROZEN_FIELD(berth_event, kind, 4, 4);
FROZEN_FIELD(berth_event, old_version, 8, 8);
FROZEN_FIELD(berth_event, version, 16, 8);
FROZEN_FIELD(berth_event, old_epoch, 24, 8);
FROZEN_FIELD(berth_event, epoch, 32, 8);
FROZEN_FIELD(berth_event, is_leader, 40, 4);
FROZEN_FIELD(berth_event, degraded, 44, 4);

FROZEN_SIZE(berth_ownership_event, 48);
FROZEN_FIELD(berth_ownership_event, struct_size, 0, 4);
FROZEN_FIELD(berth_ownership_event, kind, 4, 4);
FROZEN_FIELD(berth_ownership_event, stream, 8, 8);
FROZEN_FIELD(berth_ownership_event, stream_len, 16, 8);
FROZEN_FIELD(berth_ownership_event, token, 24, 8);
FROZEN_FIELD(berth_ownership_event, version, 32, 8);
FROZEN_FIELD(berth_ownership_event, ended_ns, 40, 8);

/* servers an operator manages (API 1.6) */
FROZEN_SIZE(berth_server_change, 48);
FROZEN_FIELD(berth_server_change, struct_size, 0, 4);
FROZEN_FIELD(berth_server_change, fields, 4, 4);
FROZEN_FIELD(berth_server_change, id, 8, 8);
FROZEN_FIELD(berth_server_change, id_len, 16, 8);
FROZEN_FIELD(berth_server_change, capacity, 24, 8);
FROZEN_FIELD(berth_server_change, state, 32, 4);
FROZEN_FIELD(berth_server_change, labels, 40, 8);

FROZEN_SIZE(berth_server_entry, 56);
FROZEN_FIELD(berth_server_entry, struct_size, 0, 4);
FROZEN_FIELD(berth_server_entry, fields, 4, 4);
FROZEN_FIELD(berth_server_entry, id, 8, 8);
FROZEN_FIELD(berth_server_entry, capacity, 16, 8);
FROZEN_FIELD(berth_server_entry, state, 24, 4);
FROZEN_FIELD(berth_server_entry, origin, 28, 4);
FROZEN_FIELD(berth_server_entry, labels, 32, 8);
FROZEN_FIELD(berth_server_entry, streams, 40, 8);
FROZEN_FIELD(berth_server_entry, load, 48, 8);
/* berth/berth.h, the catalogue (API 1.6) */
FROZEN_SIZE(berth_location, 104);
FROZEN_FIELD(berth_location, struct_size, 0, 4);
FROZEN_FIELD(berth_location, status, 4, 4);
FROZEN_FIELD(berth_location, version, 8, 8);
FROZEN_FIELD(berth_location, owner, 16, 8);
FROZEN_FIELD(berth_location, holder, 24, 8);
FROZEN_FIELD(berth_location, token, 32, 8);
FROZEN_FIELD(berth_location, tenant, 40, 8);
FROZEN_FIELD(berth_location, load, 48, 8);
FROZEN_FIELD(berth_location, read_locations, 56, 8);
FROZEN_FIELD(berth_location, read_location_count, 64, 4);
FROZEN_FIELD(berth_location, known, 68, 4);
FROZEN_FIELD(berth_location, migration_source, 72, 8);
FROZEN_FIELD(berth_location, migration_destination, 80, 8);
FROZEN_FIELD(berth_location, migration_queued, 88, 4);
FROZEN_FIELD(berth_location, queued_destination, 96, 8);

FROZEN_SIZE(berth_catalogue_event, 48);
FROZEN_FIELD(berth_catalogue_event, struct_size, 0, 4);
FROZEN_FIELD(berth_catalogue_event, kind, 4, 4);
FROZEN_FIELD(berth_catalogue_event, stream, 8, 8);
FROZEN_FIELD(berth_catalogue_event, stream_len, 16, 8);
FROZEN_FIELD(berth_catalogue_event, source, 24, 8);
FROZEN_FIELD(berth_catalogue_event, version, 32, 8);
FROZEN_FIELD(berth_catalogue_event, attempt, 40, 4);

FROZEN_SIZE(berth_server_migration, 48);
FROZEN_FIELD(berth_server_migration, struct_size, 0, 4);
FROZEN_FIELD(berth_server_migration, marked, 4, 4);
FROZEN_FIELD(berth_server_migration, streams, 8, 8);
FROZEN_FIELD(berth_server_migration, migrating_out, 16, 8);
FROZEN_FIELD(berth_server_migration, max_migrations, 24, 4);
FROZEN_FIELD(berth_server_migration, max_migrations_per_server, 28, 4);
FROZEN_FIELD(berth_server_migration, per_refresh, 32, 4);
FROZEN_FIELD(berth_server_migration, refreshes, 40, 8);

FROZEN_SIZE(berth_placement_why, 72);
FROZEN_FIELD(berth_placement_why, struct_size, 0, 4);
FROZEN_FIELD(berth_placement_why, decision, 4, 4);
FROZEN_FIELD(berth_placement_why, version, 8, 8);
FROZEN_FIELD(berth_placement_why, detail, 16, 8);
FROZEN_FIELD(berth_placement_why, rules_evaluated, 24, 4);
FROZEN_FIELD(berth_placement_why, allowed_count, 28, 4);
FROZEN_FIELD(berth_placement_why, rule, 32, 8);
FROZEN_FIELD(berth_placement_why, allowed, 40, 8);
FROZEN_FIELD(berth_placement_why, preferred, 48, 8);
FROZEN_FIELD(berth_placement_why, preferred_count, 56, 4);
FROZEN_FIELD(berth_placement_why, rules_note, 64, 8);

/* the host's log (API 1.9) */
FROZEN_SIZE(berth_log_record, 40);
FROZEN_FIELD(berth_log_record, struct_size, 0, 4);
FROZEN_FIELD(berth_log_record, level, 4, 4);
FROZEN_FIELD(berth_log_record, time_ns, 8, 8);
FROZEN_FIELD(berth_log_record, source, 16, 8);
FROZEN_FIELD(berth_log_record, node, 24, 8);
FROZEN_FIELD(berth_log_record, message, 32, 8);
