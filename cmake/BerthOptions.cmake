# Compiler settings shared by every Berth target.
add_library(berth_warnings INTERFACE)
target_compile_options(berth_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wimplicit-fallthrough>
  $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
if(BERTH_WERROR)
  target_compile_options(berth_warnings INTERFACE -Werror)
endif()

# Every node must compute bit-identical placements: no fused multiply-add behind our back.
add_compile_options(-ffp-contract=off)

if(BERTH_SANITIZE)
  # -g1 (line tables only) after the build type's -g: reports still name file and line, and the
  # sanitizer builds compile and link markedly less debug information.
  add_compile_options(-fsanitize=${BERTH_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all -g1)
  add_link_options(-fsanitize=${BERTH_SANITIZE})
endif()

# BERTH_LINKER=lld|mold|gold links with that linker instead of the system default (CI uses lld:
# its links take a fraction of ld.bfd's time). A linker asked for and not installed is an error.
set(BERTH_LINKER "" CACHE STRING "Linker to pass to -fuse-ld (lld, mold, gold); empty for the default")
if(BERTH_LINKER)
  find_program(BERTH_LINKER_PROGRAM NAMES ld.${BERTH_LINKER} NO_CACHE)
  if(NOT BERTH_LINKER_PROGRAM)
    message(FATAL_ERROR "BERTH_LINKER=${BERTH_LINKER}: ld.${BERTH_LINKER} is not installed (scripts/deps.sh installs lld)")
  endif()
  add_link_options(-fuse-ld=${BERTH_LINKER})
endif()

# berth_add_plugin(<kind> <name> SOURCES ... [LIBRARIES ...] [TEST_HOOK <file> NO_TEST_HOOK <file>]):
# a real shared object that exports only its entry symbol, named berth_<kind>_<name>.so so the
# loader finds it by name. TEST_HOOK/NO_TEST_HOOK: two sources defining the same test-only hook,
# the second with nothing in it. With BERTH_TEST_HOOKS on, the build tree's plugin links TEST_HOOK
# for the tests, and what is installed and packed (wheel, jar) is a twin linking NO_TEST_HOOK,
# <target>_packaged under <build>/packaged/berth/plugins: a package never carries test hooks. The
# other sources are compiled once (an object library) for both.
# LINK_OPTIONS: extra link options for the plugin and its twin (e.g. LINKER:-z,nodelete).
# BERTH_PLUGINS lists the build tree's targets, BERTH_PACKAGED_PLUGINS the ones to install or pack.
set(BERTH_PLUGIN_EXPORTS_MAP ${CMAKE_CURRENT_LIST_DIR}/plugin_exports.map)
function(berth_plugin_hidden target)
  set_target_properties(${target} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()

function(berth_plugin_module target file_name output_dir)
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${file_name}
    LIBRARY_OUTPUT_DIRECTORY ${output_dir})
  berth_plugin_hidden(${target})
  # Hidden visibility is not enough on its own: libstdc++'s namespace std has default visibility,
  # so template instantiations would be exported too. The version script keeps the entry alone.
  target_link_options(${target} PRIVATE -Wl,--no-undefined
    -Wl,--version-script=${BERTH_PLUGIN_EXPORTS_MAP})
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${BERTH_PLUGIN_EXPORTS_MAP})
endfunction()

function(berth_add_plugin kind name)
  cmake_parse_arguments(ARG "" "TEST_HOOK;NO_TEST_HOOK" "SOURCES;LIBRARIES;LINK_OPTIONS" ${ARGN})
  if(NOT ARG_TEST_HOOK STREQUAL "" AND ARG_NO_TEST_HOOK STREQUAL "")
    message(FATAL_ERROR "berth_add_plugin(${kind} ${name}): TEST_HOOK needs NO_TEST_HOOK")
  endif()
  set(target berth_${kind}_${name})
  set(packaged ${target})
  if(ARG_TEST_HOOK AND BERTH_TEST_HOOKS)
    set(objects ${target}_objects)
    add_library(${objects} OBJECT ${ARG_SOURCES})
    set_target_properties(${objects} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    berth_plugin_hidden(${objects})
    target_link_libraries(${objects} PRIVATE berth_abi berth_warnings ${ARG_LIBRARIES})
    set(packaged ${target}_packaged)
    berth_plugin_module(${target} ${target} ${BERTH_PLUGIN_OUTPUT_DIR} ${ARG_TEST_HOOK})
    berth_plugin_module(${packaged} ${target} ${PROJECT_BINARY_DIR}/packaged/berth/plugins ${ARG_NO_TEST_HOOK})
    foreach(module ${target} ${packaged})
      target_link_libraries(${module} PRIVATE ${objects} berth_abi berth_warnings ${ARG_LIBRARIES})
      target_link_options(${module} PRIVATE ${ARG_LINK_OPTIONS})
    endforeach()
  else()
    berth_plugin_module(${target} ${target} ${BERTH_PLUGIN_OUTPUT_DIR} ${ARG_SOURCES} ${ARG_NO_TEST_HOOK})
    target_link_libraries(${target} PRIVATE berth_abi berth_warnings ${ARG_LIBRARIES})
    target_link_options(${target} PRIVATE ${ARG_LINK_OPTIONS})
  endif()
  install(TARGETS ${packaged} LIBRARY DESTINATION ${BERTH_PLUGIN_INSTALL_DIR})
  set_property(GLOBAL APPEND PROPERTY BERTH_PLUGINS ${target})
  set_property(GLOBAL APPEND PROPERTY BERTH_PACKAGED_PLUGINS ${packaged})
endfunction()
