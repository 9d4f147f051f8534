// berth_options_*: configuration handles for berth_engine_open.
#include "capi/capi_support.h"
#include "config/options.h"

struct berth_options {
  berth::Options options;
};

using berth::capi::guard;

extern "C" {

BERTH_API int32_t berth_options_new(berth_options** out, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(out != nullptr, "berth_options_new: out is NULL");
    *out = new berth_options;
  });
}

BERTH_API void berth_options_free(berth_options* options) { delete options; }

BERTH_API int32_t berth_options_load_file(berth_options* options, const char* path, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(options != nullptr && path != nullptr, "berth_options_load_file: options or path is NULL");
    options->options.load_file(path);
  });
}

BERTH_API int32_t berth_options_load_string(berth_options* options, const char* toml, const char* origin,
                                            berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(options != nullptr && toml != nullptr, "berth_options_load_string: options or toml is NULL");
    options->options.load_string(toml, origin != nullptr ? origin : "inline");
  });
}

BERTH_API int32_t berth_options_set(berth_options* options, const char* key, const char* value, berth_error** err) {
  return guard(err, [&] {
    BERTH_REQUIRE_ARG(options != nullptr && key != nullptr && value != nullptr,
                      "berth_options_set: options, key or value is NULL");
    options->options.set(key, value, "override");
  });
}

}  // extern "C"

namespace berth::capi {
const Options& options_of(const berth_options* options) { return options->options; }
}  // namespace berth::capi
