# Checks the dynamic symbols a shared object exports (nm -D --defined-only).
#   cmake -DNM=<nm> -DFILE=<.so> -DPATTERN=<regex every symbol must match>
#         [-DEXACTLY=<the only symbol allowed, which must be there>] -P check_exports.cmake
# Plugins must export exactly berth_plugin_entry; libberth.so only berth_* (the host C API).
foreach(var NM FILE PATTERN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_exports.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "${FILE}: not built")
endif()

execute_process(COMMAND "${NM}" -D --defined-only "${FILE}"
  OUTPUT_VARIABLE listing ERROR_VARIABLE errors RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${FILE} failed: ${errors}")
endif()

# Lines look like "0000000000001139 T berth_plugin_entry".
string(REPLACE "\n" ";" lines "${listing}")
set(symbols "")
set(offending "")
foreach(line IN LISTS lines)
  if(line MATCHES "^[0-9a-fA-F]* *([A-Za-z]) (.+)$")
    set(symbol "${CMAKE_MATCH_2}")
    string(REGEX REPLACE "@.*$" "" symbol "${symbol}")  # drop a version suffix, e.g. @@BERTH_1
    list(APPEND symbols "${symbol}")
    if(NOT symbol MATCHES "${PATTERN}")
      list(APPEND offending "${CMAKE_MATCH_1} ${symbol}")
    endif()
  endif()
endforeach()

if(offending)
  list(JOIN offending "\n  " shown)
  message(FATAL_ERROR "${FILE} exports symbols it must not (allowed: ${PATTERN}):\n  ${shown}")
endif()
if(DEFINED EXACTLY AND NOT symbols STREQUAL EXACTLY)
  message(FATAL_ERROR "${FILE} must export exactly ${EXACTLY}, exports: '${symbols}'")
endif()
if(NOT symbols)
  message(FATAL_ERROR "${FILE} exports nothing")
endif()
list(LENGTH symbols count)
message(STATUS "${FILE}: ${count} exported symbol(s), all matching ${PATTERN}")
