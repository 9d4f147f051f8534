# The `snapshot_decoder_fuzz` test, run by CTest as `cmake -P`: writes real snapshots as seeds,
# configures and builds tests/fuzz/project with clang++ (libFuzzer, ASan, UBSan), and fuzzes the
# decoder for SECONDS. Fails, naming the saved crashing input, when the fuzzer finds a defect.
# Inputs (-D): BERTH_SOURCE_DIR, WORK_DIR, SEEDS_TOOL, CLANGXX, CLANG, SECONDS.
foreach(var BERTH_SOURCE_DIR WORK_DIR SEEDS_TOOL SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake needs -D${var}=...")
  endif()
endforeach()
if(NOT CLANGXX OR NOT EXISTS "${CLANGXX}")
  message(FATAL_ERROR "clang++ with libFuzzer is needed for the fuzz target (scripts/deps.sh installs clang and libclang-rt-14-dev)")
endif()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR}/seeds)
file(MAKE_DIRECTORY ${WORK_DIR}/seeds ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
run("writing the seed snapshots" ${SEEDS_TOOL} ${WORK_DIR}/seeds)
run("configuring the fuzz project with clang++" ${CMAKE_COMMAND} -S ${BERTH_SOURCE_DIR}/tests/fuzz/project
    -B ${WORK_DIR}/build -DCMAKE_CXX_COMPILER=${CLANGXX} -DCMAKE_C_COMPILER=${CLANG}
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_SOURCE_DIR=${BERTH_SOURCE_DIR})
run("building the fuzz target" ${CMAKE_COMMAND} --build ${WORK_DIR}/build -j1)

# The corpus directory keeps what earlier runs found (it lives in the build tree); the seeds are
# read too. -timeout: one input taking seconds is a defect as well.
execute_process(
  COMMAND ${WORK_DIR}/build/snapshot_decoder_fuzzer -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
          -max_len=65536 -print_final_stats=1 -artifact_prefix=${WORK_DIR}/artifacts/
          ${WORK_DIR}/corpus ${WORK_DIR}/seeds
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
string(REGEX MATCH "stat::number_of_executed_units: *([0-9]+)" _ "${out}")
set(runs "${CMAKE_MATCH_1}")
string(REGEX MATCH "Done ([0-9]+) runs in ([0-9]+) second" _ "${out}")
if(CMAKE_MATCH_2 AND CMAKE_MATCH_2 GREATER 0)
  math(EXPR per_second "${CMAKE_MATCH_1} / ${CMAKE_MATCH_2}")
  message(STATUS "snapshot decoder fuzzed: ${CMAKE_MATCH_1} runs in ${CMAKE_MATCH_2} s (${per_second} runs/s)")
endif()
if(NOT rc EQUAL 0)
  file(GLOB crashes ${WORK_DIR}/artifacts/*)
  string(LENGTH "${out}" length)
  if(length GREATER 6000)
    math(EXPR from "${length} - 6000")
    string(SUBSTRING "${out}" ${from} 6000 out)
  endif()
  message(FATAL_ERROR "the snapshot decoder fuzzer found a defect (exit ${rc}); input(s): ${crashes}\n${out}")
endif()
if(NOT runs OR runs LESS 1000)
  message(FATAL_ERROR "the fuzzer ran only '${runs}' inputs:\n${out}")
endif()
