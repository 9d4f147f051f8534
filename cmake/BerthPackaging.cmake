# What a packager installs beside the library and the CMake package:
#   include/berth/version.h                    BERTH_VERSION_STRING and its parts
#   <libdir>/pkgconfig/berth.pc                  pkg-config (its Libs carry an rpath to <libdir>)
#   <libdir>/pkgconfig/berth-metrics-http.pc     the same for libberth_metrics_http.so (Requires: berth)
#   share/man/man1/berth.1, berth-<command>.1    generated from --help by help2man at build time
#                                                (not in a sanitized build: BERTH_MAN_PAGES)
#   share/bash-completion/completions/berth      completion through `berth __complete`
#   share/doc/berth/LICENSE, CHANGELOG.md
# The version has one source, project(VERSION) in the top CMakeLists.txt; build steps read it
# from PROJECT_VERSION.
set(BERTH_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated/include)
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.h.in ${BERTH_GENERATED_INCLUDE_DIR}/berth/version.h @ONLY)
install(FILES ${BERTH_GENERATED_INCLUDE_DIR}/berth/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/berth)

# berth.pc finds its prefix from where it lies (${pcfiledir}, <prefix>/<libdir>/pkgconfig), so
# `cmake --install --prefix` anywhere, or a moved prefix, needs nothing generated at install time.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(BERTH_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH berth_pc_up "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" berth_pc_up "${berth_pc_up}")
  set(BERTH_PC_PREFIX "\${pcfiledir}/${berth_pc_up}")
endif()
foreach(module berth berth-metrics-http)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${module}.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/${module}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${module}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/bash-completion/berth
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# Man pages: one for berth, one per command, from what --help prints. Not in a sanitized build
# (running its berth at build time needs the sanitizer's runtime settings) nor without the tool.
if(TARGET berth_cli AND NOT BERTH_SANITIZE)
  set(BERTH_MAN_PAGES ON)
else()
  set(BERTH_MAN_PAGES OFF)
endif()
if(BERTH_MAN_PAGES)
  find_program(BERTH_HELP2MAN help2man REQUIRED)  # Debian: help2man (scripts/deps.sh installs it)
  set(BERTH_MAN_DIR ${PROJECT_BINARY_DIR}/man/man1)
  add_custom_command(OUTPUT ${BERTH_MAN_DIR}/berth.1
    COMMAND ${CMAKE_COMMAND} -DBERTH=$<TARGET_FILE:berth_cli> -DHELP2MAN=${BERTH_HELP2MAN} -DOUT=${BERTH_MAN_DIR}
            -P ${CMAKE_CURRENT_LIST_DIR}/man_pages.cmake
    DEPENDS berth_cli ${CMAKE_CURRENT_LIST_DIR}/man_pages.cmake
    COMMENT "Man pages from berth --help (help2man)")
  add_custom_target(berth_man_pages ALL DEPENDS ${BERTH_MAN_DIR}/berth.1)
  install(DIRECTORY ${BERTH_MAN_DIR} DESTINATION ${CMAKE_INSTALL_MANDIR})
endif()
