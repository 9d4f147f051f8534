# The installed command-line tool finds the installed built-in plugins on its own (next to the
# code, no environment variable): `berth plugins` must list each of them at its installed path.
#   cmake -DPREFIX=<prefix> -DLIBDIR=<lib> -DEXPECTED=<file names, comma-separated> -P check_cli_finds_plugins.cmake
foreach(var PREFIX LIBDIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_cli_finds_plugins.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${PREFIX}/bin/berth")
  message(STATUS "no command-line tool in this build: nothing to check")
  return()
endif()
if(NOT EXPECTED)
  message(STATUS "no built-in plugins in this build: nothing to check")
  return()
endif()

# Run from elsewhere, so nothing can be found relative to the working directory.
execute_process(COMMAND "${PREFIX}/bin/berth" plugins WORKING_DIRECTORY "${CMAKE_CURRENT_LIST_DIR}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "berth plugins failed (${status}):\n${out}\n${err}")
endif()
message(STATUS "berth plugins:\n${out}")

file(REAL_PATH "${PREFIX}/${LIBDIR}/berth/plugins" plugin_dir)
string(REPLACE "," ";" expected "${EXPECTED}")
foreach(file IN LISTS expected)
  string(FIND "${out}" "${plugin_dir}/${file}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "berth plugins does not list ${plugin_dir}/${file}")
  endif()
endforeach()
