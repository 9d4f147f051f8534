# Compiles and runs a C host with `pkg-config --cflags --libs berth` against an installed prefix,
# with PKG_CONFIG_PATH pointing into it and no LD_LIBRARY_PATH: libberth.so is found through the
# rpath berth.pc puts in Libs. Then `berth --version` must name the same version.
#   cmake -DPREFIX=<prefix> -DLIBDIR=<lib> -DSOURCE=<host.c> -DBINARY=<dir> [-DC_COMPILER=cc]
#         [-DSANITIZE=...] -DEXPECTED=<version> -P pkg_config_host.cmake
foreach(var PREFIX LIBDIR SOURCE BINARY EXPECTED)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "pkg_config_host.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT C_COMPILER)
  set(C_COMPILER cc)
endif()

function(run what)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
unset(ENV{PKG_CONFIG_LIBDIR})
unset(ENV{LD_LIBRARY_PATH})
run("pkg-config --modversion berth" pkg-config --modversion berth)
if(NOT output STREQUAL EXPECTED)
  message(FATAL_ERROR "berth.pc says version '${output}', the project is ${EXPECTED}")
endif()
# The prefix comes from where berth.pc lies, not from the prefix the build was configured with.
run("pkg-config --variable=includedir berth" pkg-config --variable=includedir berth)
if(NOT EXISTS "${output}/berth/berth.h")
  message(FATAL_ERROR "berth.pc's includedir '${output}' has no berth/berth.h (installed into ${PREFIX})")
endif()
run("pkg-config --cflags --libs berth" pkg-config --cflags --libs berth)
separate_arguments(flags UNIX_COMMAND "${output}")
message(STATUS "pkg-config --cflags --libs berth: ${output}")

set(sanitize "")
if(SANITIZE)
  set(sanitize "-fsanitize=${SANITIZE}")
endif()
file(REMOVE_RECURSE "${BINARY}")
file(MAKE_DIRECTORY "${BINARY}")
run("compiling ${SOURCE}" "${C_COMPILER}" -std=c99 -Wall -Wextra -pedantic -Werror ${sanitize}
    "-DBERTH_PC_VERSION=\"${EXPECTED}\"" "${SOURCE}" -o "${BINARY}/pkg_config_host" ${flags})
run("running the host" "${BINARY}/pkg_config_host")
if(NOT output MATCHES "^berth ${EXPECTED}\nstream-1 -> server-a$")
  message(FATAL_ERROR "pkg_config_host printed '${output}'")
endif()

if(EXISTS "${PREFIX}/bin/berth")
  run("berth --version" "${PREFIX}/bin/berth" --version)
  if(NOT output STREQUAL "berth ${EXPECTED}")
    message(FATAL_ERROR "the installed berth --version printed '${output}', expected 'berth ${EXPECTED}'")
  endif()
endif()
