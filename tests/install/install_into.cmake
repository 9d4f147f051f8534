# Installs a Berth build tree into a fresh prefix, as a packager would.
#   cmake -DBUILD_DIR=<build> -DPREFIX=<empty or disposable dir> -DLIBDIR=<lib> -P install_into.cmake
# An empty PREFIX would let `cmake --install` fall back to the configured prefix (/usr/local).
foreach(var BUILD_DIR PREFIX LIBDIR)
  if("${${var}}" STREQUAL "")
    message(FATAL_ERROR "install_into.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (is everything built?):\n${out}\n${err}")
endif()

foreach(file include/berth/abi.h include/berth/plugin.h include/berth/plugin.hpp include/berth/berth.h
             ${LIBDIR}/libberth.so ${LIBDIR}/cmake/Berth/BerthConfig.cmake
             ${LIBDIR}/cmake/Berth/BerthConfigVersion.cmake ${LIBDIR}/cmake/Berth/BerthTargets.cmake)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "cmake --install did not install ${file} into ${PREFIX}")
  endif()
endforeach()
message(STATUS "installed into ${PREFIX}")
