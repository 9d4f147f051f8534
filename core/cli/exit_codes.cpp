#include "cli/exit_codes.h"

#include <iostream>

#include "common/error.h"

namespace berth::cli {

int report_error(const std::exception& e) {
  if (const auto* error = dynamic_cast<const Error*>(&e)) {
    std::cerr << "berth: " << error->what() << " [" << code_name(error->code()) << "]\n";
    const bool usage = error->code() == BERTH_E_INVALID_ARGUMENT || error->code() == BERTH_E_CONFIG;
    return usage ? kExitUsage : kExitFailure;
  }
  std::cerr << "berth: " << e.what() << "\n";
  return kExitFailure;
}

}  // namespace berth::cli
