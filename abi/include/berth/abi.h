/*
 * Berth ABI: what every plugin and the host agree on.
 *
 * Pure C99. Only fixed-width integers, doubles, `const char *` + length, opaque handles and
 * byte buffers cross this boundary; errors cross as an int32_t code plus a host-owned status
 * object, never as exceptions.
 *
 * Two versions, each moved only by its own side of the waist (docs/abi.md):
 *   - BERTH_ABI_MAJOR / BERTH_ABI_MINOR (here): the plugin ABI, i.e. this file and berth/plugin.h.
 *     A plugin records the pair it was built against in its descriptor, and the loader checks it
 *     against these two and nothing else: equal major, minor no newer than the host's.
 *   - BERTH_API_VERSION_MAJOR / _MINOR (berth/berth.h): the host C API. A change to it alone
 *     leaves the plugin ABI's numbers as they are, so a host never refuses a plugin over it.
 * Rules for both:
 *   - every struct starts with `struct_size`, computed with BERTH_SIZE_THROUGH, never by hand;
 *   - fields, functions and constants are only ever appended; an append bumps the minor of the
 *     side it belongs to (a new result code belongs to both);
 *   - removing, renaming or reordering anything bumps the major;
 *   - the layout of every struct is frozen in tests/abi/frozen_layout.c: an append adds lines
 *     there, and a moved field fails the build.
 */
#ifndef BERTH_ABI_H
#define BERTH_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Result codes (BERTH_OK, BERTH_E_*): 0 is success; everything else is an error whose text is in
   the status/error object. Listed once, in berth/result_codes.h. */
#include "berth/result_codes.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_ABI_MAJOR 1
#define BERTH_ABI_MINOR 7 /* 1: placement constraints in berth_rebalance_request;
                            2: berth_policy_functions.default_owners;
                            3: berth_backend_functions.peek_intake and settle_intake;
                            4: berth_backend_functions.lease (berth_lease);
                            5: weighers (BERTH_PLUGIN_WEIGHER, berth_signal_set,
                               berth_weigher_functions);
                            6: berth_lease.vanish_wait_ns;
                            7: berth_config.kinds */

/* Size of `type` up to and including `field`: the struct_size of a struct whose last field is `field`. */
#ifdef __cplusplus
#define BERTH_SIZE_THROUGH(type, field) \
  static_cast<uint32_t>(offsetof(type, field) + sizeof(static_cast<type *>(nullptr)->field))
#else
#define BERTH_SIZE_THROUGH(type, field) ((uint32_t)(offsetof(type, field) + sizeof(((type *)0)->field)))
#endif

/* A server index meaning "no server" (e.g. a stream never placed before). */
#define BERTH_NO_SERVER UINT32_MAX

/* Server states. */
#define BERTH_SERVER_UP 0        /* takes new streams and keeps its own */
#define BERTH_SERVER_DRAINING 1  /* takes nothing new; its streams are moved away */
#define BERTH_SERVER_READ_ONLY 2 /* takes nothing new; keeps what it has */

/* Log levels for berth_host_api.log. */
#define BERTH_LOG_DEBUG 0
#define BERTH_LOG_INFO 1
#define BERTH_LOG_WARN 2
#define BERTH_LOG_ERROR 3

/* Host-owned error slot handed to every fallible plugin call. */
typedef struct berth_status berth_status;

/* Host-owned output collector handed to plugin calls that return variable-sized data. */
typedef struct berth_sink berth_sink;

/*
 * The host function table. Plugins reach the host only through this table (they never link
 * against the core), so a plugin built against ABI 1.x runs in any host of ABI 1.y, y >= x.
 */
typedef struct berth_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  /* Record the error of the current call. The plugin then returns the same code. */
  void (*status_set)(berth_status *status, int32_t code, const char *message, size_t message_len);
  /* Append bytes to a sink. Returns BERTH_OK, or an error code if the host ran out of memory. */
  int32_t (*sink_write)(berth_sink *sink, const void *data, size_t len);
  /* Append one (key, value) item to a sink that collects items (members, intake records). */
  int32_t (*sink_item)(berth_sink *sink, const char *key, size_t key_len, const void *value,
                       size_t value_len);
  /* Write a log line attributed to the plugin. Safe to call from any thread. */
  void (*log)(const struct berth_host_api *host, int32_t level, const char *message, size_t len);
  /* Opaque to plugins; the host's own context for log(). */
  void *host_data;
} berth_host_api;

/* One configuration entry from the plugin's section, e.g. key "cluster", value "sim". */
typedef struct berth_kv {
  const char *key;
  const char *value;
  const char *where; /* e.g. "berth.toml:12", or "--backend.cluster"; for error messages */
} berth_kv;

/* The type a configuration value was written with (ABI 1.7), so a plugin can refuse, say, a
 * boolean where it wants a name. BERTH_VALUE_TEXT is a value with no type of its own (a command
 * line's --section.key, berth_engine_set_option): the plugin parses it as whatever it expects. */
#define BERTH_VALUE_TEXT 0
#define BERTH_VALUE_STRING 1
#define BERTH_VALUE_INTEGER 2
#define BERTH_VALUE_FLOAT 3
#define BERTH_VALUE_BOOLEAN 4

/* A plugin's configuration: the keys of its section (without `name`, which chose the plugin). */
typedef struct berth_config {
  uint32_t struct_size;
  const berth_kv *items;
  size_t count;
  const char *section; /* "appraiser", "policy", "backend" or "weigher" */
  /* ABI 1.7: kinds[i] is the BERTH_VALUE_* of items[i]. Absent (struct_size short of it) from an
   * older host: every value is then BERTH_VALUE_TEXT. */
  const int32_t *kinds;
} berth_config;

#ifdef __cplusplus
}
#endif

#endif /* BERTH_ABI_H */
