# Reads the result codes from berth/result_codes.h, the one list of them, for whatever the build
# makes from it (core's code names here, the Python and Java exceptions in bindings/).
#
# berth_read_result_codes() sets, in the caller's scope:
#   BERTH_RESULT_CODES                  the symbols after "BERTH_", in file order: OK;E_INVALID_ARGUMENT;...
#   BERTH_RESULT_CODE_<symbol>_VALUE    e.g. 1
#   BERTH_RESULT_CODE_<symbol>_NAME     e.g. "invalid argument"
#   BERTH_RESULT_CODE_<symbol>_MEANING  e.g. "a caller passed something malformed"
# and makes CMake configure again when the header changes. A "#define BERTH_" line that is not a
# code of the documented form, a repeated symbol or value, or a quote or backslash in a meaning
# (copied into Python and Java text) stops the configuration, naming the line.
set(BERTH_RESULT_CODES_HEADER ${CMAKE_CURRENT_LIST_DIR}/include/berth/result_codes.h)

function(berth_read_result_codes)
  set(header ${BERTH_RESULT_CODES_HEADER})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${header})
  # Lines as a list: the header's own semicolons and brackets are kept out of CMake's list syntax.
  file(READ ${header} content)
  string(REPLACE ";" "<semicolon>" content "${content}")
  string(REPLACE "[" "<open>" content "${content}")
  string(REPLACE "]" "<close>" content "${content}")
  string(REPLACE "\n" ";" lines "${content}")
  set(codes "")
  set(values "")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "^#define BERTH_" OR line MATCHES "^#define BERTH_RESULT_CODES_H$")
      continue()
    endif()
    string(REPLACE "<semicolon>" ";" line "${line}")
    string(REPLACE "<open>" "[" line "${line}")
    string(REPLACE "<close>" "]" line "${line}")
    if(NOT line MATCHES "^#define BERTH_(OK|E_[A-Z][A-Z0-9_]*)[ ]+([0-9]+)[ ]+/\\*[ ]*([a-z][a-z ]*[a-z]):[ ]+(.*[^ ])[ ]*\\*/$")
      message(FATAL_ERROR "${header}: not a result code of the form "
        "'#define BERTH_<SYMBOL> <value> /* <name>: <meaning> */': ${line}")
    endif()
    set(symbol ${CMAKE_MATCH_1})
    set(value ${CMAKE_MATCH_2})
    set(name "${CMAKE_MATCH_3}")
    set(meaning "${CMAKE_MATCH_4}")
    if(meaning MATCHES "[\"\\\\]")
      message(FATAL_ERROR "${header}: BERTH_${symbol}: the meaning may not contain a quote or a backslash "
        "(it is copied into Python and Java text): ${meaning}")
    endif()
    if(symbol IN_LIST codes)
      message(FATAL_ERROR "${header}: BERTH_${symbol} is defined twice")
    endif()
    if(value IN_LIST values)
      message(FATAL_ERROR "${header}: BERTH_${symbol} reuses the value ${value}")
    endif()
    if((symbol STREQUAL "OK") AND NOT (value EQUAL 0))
      message(FATAL_ERROR "${header}: BERTH_OK must be 0")
    endif()
    list(APPEND codes ${symbol})
    list(APPEND values ${value})
    set(BERTH_RESULT_CODE_${symbol}_VALUE ${value} PARENT_SCOPE)
    set(BERTH_RESULT_CODE_${symbol}_NAME "${name}" PARENT_SCOPE)
    set(BERTH_RESULT_CODE_${symbol}_MEANING "${meaning}" PARENT_SCOPE)
  endforeach()
  if(NOT "OK" IN_LIST codes)
    message(FATAL_ERROR "${header}: no BERTH_OK")
  endif()
  set(BERTH_RESULT_CODES ${codes} PARENT_SCOPE)
endfunction()

# INVALID_ARGUMENT -> InvalidArgument (for E_INVALID_ARGUMENT, pass INVALID_ARGUMENT).
function(berth_result_code_camel words out)
  string(TOLOWER "${words}" lower)
  string(REPLACE "_" ";" parts "${lower}")
  set(camel "")
  foreach(part IN LISTS parts)
    string(SUBSTRING "${part}" 0 1 first)
    string(SUBSTRING "${part}" 1 -1 rest)
    string(TOUPPER "${first}" first)
    string(APPEND camel "${first}${rest}")
  endforeach()
  set(${out} "${camel}" PARENT_SCOPE)
endfunction()

# "a caller passed ..." -> "A caller passed ...".
function(berth_result_code_sentence text out)
  string(SUBSTRING "${text}" 0 1 first)
  string(SUBSTRING "${text}" 1 -1 rest)
  string(TOUPPER "${first}" first)
  set(${out} "${first}${rest}" PARENT_SCOPE)
endfunction()

# Writes <file>: one BERTH_RESULT_CODE(BERTH_<SYMBOL>, "<name>") line per code, what core's
# code_name() is built from (the main build and the fuzz project both include it).
function(berth_write_result_code_names file)
  berth_read_result_codes()
  set(lines "")
  foreach(code IN LISTS BERTH_RESULT_CODES)
    string(APPEND lines "BERTH_RESULT_CODE(BERTH_${code}, \"${BERTH_RESULT_CODE_${code}_NAME}\")\n")
  endforeach()
  file(CONFIGURE OUTPUT ${file}
    CONTENT "/* Made from berth/result_codes.h by abi/result_codes.cmake. */\n${lines}" @ONLY)
endfunction()
