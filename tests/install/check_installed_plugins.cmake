# Lists the installed built-in plugin directory and checks it is where libberth looks: the
# directory berth/plugins next to the (symlink-resolved) libberth.so, <prefix>/<libdir>/berth/plugins.
#   cmake -DPREFIX=<prefix> -DLIBDIR=<lib> -DEXPECTED=<file names, comma-separated> -P check_installed_plugins.cmake
foreach(var PREFIX LIBDIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_installed_plugins.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXPECTED)
  message(STATUS "no built-in plugins in this build: nothing to list")
  return()
endif()

file(REAL_PATH "${PREFIX}/${LIBDIR}/libberth.so" library)
get_filename_component(library_dir "${library}" DIRECTORY)
set(plugin_dir "${library_dir}/berth/plugins")
if(NOT IS_DIRECTORY "${plugin_dir}")
  message(FATAL_ERROR "no plugin directory next to ${library}: ${plugin_dir} is missing")
endif()

file(GLOB installed RELATIVE "${plugin_dir}" "${plugin_dir}/*")
list(SORT installed)
list(JOIN installed "\n  " shown)
message(STATUS "${plugin_dir}:\n  ${shown}")

string(REPLACE "," ";" expected "${EXPECTED}")
list(SORT expected)
if(NOT installed STREQUAL expected)
  message(FATAL_ERROR "installed plugins '${installed}' differ from the built-in ones '${expected}'")
endif()
