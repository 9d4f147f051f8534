// The object behind berth_error*: shared by libberth.so and libberth_metrics_http.so, so an error
// either library returns is freed by berth_error_free.
#pragma once

#include <cstdint>
#include <string>

struct berth_error {
  int32_t code;
  std::string message;
};
