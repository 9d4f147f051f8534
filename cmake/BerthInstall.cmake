# Installation and the CMake package for outside projects: find_package(Berth).
#
# Installed layout (the same shape as the build tree, so libberth finds its plugins next to
# itself with dladdr and no environment variable):
#   include/berth/*.h, *.hpp                   the waist (abi/CMakeLists.txt installs these)
#   <libdir>/libberth.so*                        the host C API
#   <libdir>/berth/plugins/berth_<kind>_<name>.so  built-in plugins (berth_add_plugin installs them)
#   <libdir>/cmake/Berth/                        BerthConfig.cmake, its version file, BerthTargets.cmake
#   bin/berth                                    the command-line tool, when it is built
include(CMakePackageConfigHelpers)

set(BERTH_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Berth)

# Outside projects see Berth::berth (the library) and Berth::abi (headers only, for plugins).
set_target_properties(berth_abi PROPERTIES EXPORT_NAME abi)
install(TARGETS berth berth_metrics_http berth_abi EXPORT BerthTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT BerthTargets NAMESPACE Berth:: DESTINATION ${BERTH_CMAKE_INSTALL_DIR})

if(TARGET berth_cli)
  install(TARGETS berth_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/BerthConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/BerthConfig.cmake
  INSTALL_DESTINATION ${BERTH_CMAKE_INSTALL_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR BERTH_PLUGIN_INSTALL_DIR)
# Before 1.0 every minor release may break compatibility; from 1.0 on, only a major one.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(berth_compatibility SameMinorVersion)
else()
  set(berth_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/BerthConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${berth_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/cmake/BerthConfig.cmake ${PROJECT_BINARY_DIR}/cmake/BerthConfigVersion.cmake
  DESTINATION ${BERTH_CMAKE_INSTALL_DIR})

# The tests of all this, from outside (tests/install). Here rather than in tests/CMakeLists.txt
# because they need every install rule above, and every plugin, to be defined first.
if(BERTH_BUILD_TESTS)
  add_subdirectory(${PROJECT_SOURCE_DIR}/tests/install ${PROJECT_BINARY_DIR}/tests/install)
endif()
