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
  add_compile_options(-fsanitize=${BERTH_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${BERTH_SANITIZE})
endif()

# berth_add_plugin(<kind> <name> SOURCES ...): a real shared object that exports only its entry
# symbol, named berth_<kind>_<name>.so so the loader finds it by name.
set(BERTH_PLUGIN_EXPORTS_MAP ${CMAKE_CURRENT_LIST_DIR}/plugin_exports.map)
function(berth_add_plugin kind name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target berth_${kind}_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${target}
    LIBRARY_OUTPUT_DIRECTORY ${BERTH_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE berth_abi berth_warnings ${ARG_LIBRARIES})
  # Hidden visibility is not enough on its own: libstdc++'s namespace std has default visibility,
  # so template instantiations would be exported too. The version script keeps the entry alone.
  target_link_options(${target} PRIVATE -Wl,--no-undefined
    -Wl,--version-script=${BERTH_PLUGIN_EXPORTS_MAP})
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${BERTH_PLUGIN_EXPORTS_MAP})
  install(TARGETS ${target} LIBRARY DESTINATION ${BERTH_PLUGIN_INSTALL_DIR})
  set_property(GLOBAL APPEND PROPERTY BERTH_PLUGINS ${target})
endfunction()
