# The berth-placement wheel (bindings/python/pyproject.toml), made by `cmake --build build
# --target berth_wheel` into <build>/bindings/dist. Install component berth_wheel stages it:
#   pyproject.toml, setup.py, README.md, LICENSE (the wheel's .dist-info carries it)
#   berth/                          the package and its extension (RPATH $ORIGIN/_native first)
#   berth/_native/libberth.so.<N>   the library, under its soname (a wheel keeps no symlinks)
#   berth/_native/berth/plugins/    the built-in plugins, where libberth looks next to itself
# then `python3 -m build --wheel --no-isolation` (Debian: python3-build) packs that directory.
set(BERTH_WHEEL_DIR ${CMAKE_CURRENT_BINARY_DIR}/dist CACHE INTERNAL "")
set(berth_wheel_stage ${CMAKE_CURRENT_BINARY_DIR}/wheel)
set(berth_wheel_install COMPONENT berth_wheel EXCLUDE_FROM_ALL)
set(berth_wheel_meta ${CMAKE_CURRENT_SOURCE_DIR}/python/pyproject.toml
  ${CMAKE_CURRENT_SOURCE_DIR}/python/setup.py ${CMAKE_CURRENT_SOURCE_DIR}/python/README.md
  ${PROJECT_SOURCE_DIR}/LICENSE)

install(FILES ${berth_wheel_meta} DESTINATION . ${berth_wheel_install})
install(FILES ${berth_python_sources} ${BERTH_PYTHON_PACKAGE_DIR}/berth_swig.py
  ${BERTH_PYTHON_PACKAGE_DIR}/_version.py DESTINATION berth ${berth_wheel_install})
install(FILES ${berth_python_tools_sources} DESTINATION berth/tools ${berth_wheel_install})
install(TARGETS berth_swig LIBRARY DESTINATION berth ${berth_wheel_install})
install(TARGETS berth LIBRARY DESTINATION berth/_native NAMELINK_SKIP ${berth_wheel_install})
get_property(berth_wheel_plugins GLOBAL PROPERTY BERTH_PACKAGED_PLUGINS)
install(TARGETS ${berth_wheel_plugins} LIBRARY DESTINATION berth/_native/berth/plugins ${berth_wheel_install})

execute_process(COMMAND ${Python3_EXECUTABLE} -c "import build, setuptools, wheel"
  RESULT_VARIABLE berth_wheel_tools ERROR_QUIET)
if(NOT berth_wheel_tools EQUAL 0)
  message(FATAL_ERROR "bindings: ${Python3_EXECUTABLE} cannot import build, setuptools and wheel, "
    "which make the Python wheel (Debian: python3-build python3-setuptools python3-wheel)")
endif()

set(berth_native ${berth_wheel_stage}/berth/_native)
add_custom_command(OUTPUT ${BERTH_WHEEL_DIR}/.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${berth_wheel_stage} ${BERTH_WHEEL_DIR}
  COMMAND ${CMAKE_COMMAND} --install ${PROJECT_BINARY_DIR} --component berth_wheel
          --prefix ${berth_wheel_stage} --strip
  COMMAND ${CMAKE_COMMAND} -E rename ${berth_native}/$<TARGET_FILE_NAME:berth>
          ${berth_native}/$<TARGET_SONAME_FILE_NAME:berth>
  COMMAND ${Python3_EXECUTABLE} -m build --wheel --no-isolation --outdir ${BERTH_WHEEL_DIR} ${berth_wheel_stage}
  COMMAND ${CMAKE_COMMAND} -E touch ${BERTH_WHEEL_DIR}/.stamp
  DEPENDS berth_swig berth_python berth ${berth_wheel_plugins} ${berth_wheel_meta}
          ${berth_python_sources} ${berth_python_tools_sources}
  COMMENT "Building the berth-placement wheel"
  VERBATIM)
add_custom_target(berth_wheel ALL DEPENDS ${BERTH_WHEEL_DIR}/.stamp)
