# Configures and builds an outside CMake project against an installed Berth, then optionally
# runs a program it built and checks what it prints.
#   cmake -DSOURCE=<project> -DBINARY=<its build dir> -DPREFIX=<Berth prefix> [-DGENERATOR=...]
#         [-DC_COMPILER=...] [-DSANITIZE=address,undefined] [-DDEFINES=VAR=value,...]
#         [-DRUN=<program, relative to BINARY> -DEXPECT=<regex its output must match>]
#         -P build_outside_project.cmake
foreach(var SOURCE BINARY PREFIX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_outside_project.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

# Only the installed prefix is searched: nothing may come from the Berth build tree.
set(args -S "${SOURCE}" -B "${BINARY}" "-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(GENERATOR)
  list(APPEND args -G "${GENERATOR}")
endif()
if(C_COMPILER)
  list(APPEND args "-DCMAKE_C_COMPILER=${C_COMPILER}")
endif()
if(SANITIZE)  # a sanitized libberth needs sanitized programs and modules around it
  foreach(kind C_FLAGS EXE_LINKER_FLAGS MODULE_LINKER_FLAGS SHARED_LINKER_FLAGS)
    list(APPEND args "-DCMAKE_${kind}=-fsanitize=${SANITIZE}")
  endforeach()
endif()
if(DEFINES)
  string(REPLACE "," ";" defines "${DEFINES}")
  foreach(define IN LISTS defines)
    list(APPEND args "-D${define}")
  endforeach()
endif()

file(REMOVE_RECURSE "${BINARY}")
run("configuring ${SOURCE}" "${CMAKE_COMMAND}" ${args})
run("building ${SOURCE}" "${CMAKE_COMMAND}" --build "${BINARY}")
message(STATUS "built ${SOURCE} against ${PREFIX}")

if(RUN)
  run("running ${RUN}" "${BINARY}/${RUN}")
  message(STATUS "${RUN}: ${output}")
  if(DEFINED EXPECT AND NOT output MATCHES "${EXPECT}")
    message(FATAL_ERROR "${RUN} printed '${output}', expected a match for '${EXPECT}'")
  endif()
endif()
