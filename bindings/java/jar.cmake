# berth.jar and its companions, from the hand-written org.berth sources, the exception classes
# made from result_codes.h and SWIG's generated classes (package org.berth, made package-private
# below, so that only the hand-written API is public and documented):
#   berth.jar            classes, a versioned manifest (MANIFEST.MF.in) and the native code under
#                        native/<os>-<arch>/ (files.txt, libberthjni.so, libberth.so.<N>,
#                        berth/plugins/*.so), which NativeLoader extracts when java.library.path
#                        has no libberthjni; META-INF/LICENSE
#   berth-sources.jar    every source the classes were compiled from, META-INF/LICENSE
#   berth-javadoc.jar    the public API's javadoc
#   berth.pom            the Maven POM (berth.pom.in)
string(TOLOWER "${CMAKE_SYSTEM_NAME}" berth_java_os)
string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" berth_java_arch)
if(berth_java_arch MATCHES "^(amd64|x86_64)$")
  set(berth_java_arch x86_64)
elseif(berth_java_arch MATCHES "^(arm64|aarch64)$")
  set(berth_java_arch aarch64)
endif()
set(BERTH_JAVA_PLATFORM ${berth_java_os}-${berth_java_arch})

set(BERTH_JAR ${CMAKE_CURRENT_BINARY_DIR}/berth.jar CACHE INTERNAL "")
set(BERTH_JAVA_CLASSES ${CMAKE_CURRENT_BINARY_DIR}/java_classes CACHE INTERNAL "")
set(BERTH_JNI_LIBRARY $<TARGET_FILE:berthjni>)
set(berth_jar_dir ${CMAKE_CURRENT_BINARY_DIR})
set(berth_java_src ${CMAKE_CURRENT_BINARY_DIR}/java_src)
set(berth_javadoc ${CMAKE_CURRENT_BINARY_DIR}/javadoc)
set(berth_jar_stage ${CMAKE_CURRENT_BINARY_DIR}/jar_native)
set(berth_jar_native ${berth_jar_stage}/native/${BERTH_JAVA_PLATFORM})
configure_file(${CMAKE_CURRENT_LIST_DIR}/MANIFEST.MF.in ${berth_jar_dir}/MANIFEST.MF @ONLY)
configure_file(${CMAKE_CURRENT_LIST_DIR}/berth.pom.in ${berth_jar_dir}/berth.pom @ONLY)

# The native files, staged by install component berth_jar_native (so the JNI library's RPATH is
# its install one, $ORIGIN) and listed in files.txt for NativeLoader.
set(berth_jar_install COMPONENT berth_jar_native EXCLUDE_FROM_ALL)
get_property(berth_jar_plugins GLOBAL PROPERTY BERTH_PACKAGED_PLUGINS)
install(TARGETS berthjni LIBRARY DESTINATION native/${BERTH_JAVA_PLATFORM} ${berth_jar_install})
install(TARGETS berth LIBRARY DESTINATION native/${BERTH_JAVA_PLATFORM} NAMELINK_SKIP ${berth_jar_install})
install(TARGETS ${berth_jar_plugins} LIBRARY DESTINATION native/${BERTH_JAVA_PLATFORM}/berth/plugins
  ${berth_jar_install})
set(berth_jar_files "$<TARGET_FILE_NAME:berthjni>\n$<TARGET_SONAME_FILE_NAME:berth>\n")
foreach(plugin IN LISTS berth_jar_plugins)
  string(APPEND berth_jar_files "berth/plugins/$<TARGET_FILE_NAME:${plugin}>\n")
endforeach()
file(GENERATE OUTPUT ${berth_jar_dir}/native_files.txt CONTENT "${berth_jar_files}")

# The generated .java names are known only after SWIG ran: compile the whole directory, after
# dropping `public` from each generated top-level type.
add_custom_command(OUTPUT ${BERTH_JAR} ${berth_jar_dir}/berth-sources.jar
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${BERTH_JAVA_CLASSES} ${berth_java_src} ${berth_jar_stage}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BERTH_JAVA_CLASSES} ${berth_java_src}/org/berth
  COMMAND sh -c "sed -i -E 's/^public (final |abstract )?(class|interface|enum) /\\1\\2 /' '${BERTH_JAVA_GEN_DIR}'/*.java"
  COMMAND sh -c "cp '${BERTH_JAVA_GEN_DIR}'/*.java ${berth_java_sources_args} '${berth_java_src}/org/berth/'"
  COMMAND sh -c "'${Java_JAVAC_EXECUTABLE}' -encoding UTF-8 -d '${BERTH_JAVA_CLASSES}' '${berth_java_src}'/org/berth/*.java"
  COMMAND ${CMAKE_COMMAND} --install ${PROJECT_BINARY_DIR} --component berth_jar_native
          --prefix ${berth_jar_stage} --strip
  COMMAND ${CMAKE_COMMAND} -E rename ${berth_jar_native}/$<TARGET_FILE_NAME:berth>
          ${berth_jar_native}/$<TARGET_SONAME_FILE_NAME:berth>
  COMMAND ${CMAKE_COMMAND} -E copy ${berth_jar_dir}/native_files.txt ${berth_jar_native}/files.txt
  COMMAND ${CMAKE_COMMAND} -E copy ${PROJECT_SOURCE_DIR}/LICENSE ${berth_jar_stage}/META-INF/LICENSE
  COMMAND ${Java_JAR_EXECUTABLE} cfm ${BERTH_JAR} ${berth_jar_dir}/MANIFEST.MF
          -C ${BERTH_JAVA_CLASSES} . -C ${berth_jar_stage} native -C ${berth_jar_stage} META-INF/LICENSE
  COMMAND ${Java_JAR_EXECUTABLE} cfm ${berth_jar_dir}/berth-sources.jar ${berth_jar_dir}/MANIFEST.MF
          -C ${berth_java_src} . -C ${berth_jar_stage} META-INF/LICENSE
  DEPENDS berthjni berth ${berth_jar_plugins} ${berth_java_sources} ${berth_jar_dir}/MANIFEST.MF
          ${berth_jar_dir}/native_files.txt ${PROJECT_SOURCE_DIR}/LICENSE
  COMMENT "Building berth.jar (${BERTH_JAVA_PLATFORM}) and its sources jar"
  VERBATIM)
add_custom_target(berth_jar ALL DEPENDS ${BERTH_JAR})

add_custom_command(OUTPUT ${berth_jar_dir}/berth-javadoc.jar
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${berth_javadoc}
  COMMAND ${Java_JAVADOC_EXECUTABLE} -quiet -Xdoclint:none -encoding UTF-8 -d ${berth_javadoc}
          -sourcepath ${berth_java_src} -doctitle "Berth ${PROJECT_VERSION}" org.berth
  COMMAND ${Java_JAR_EXECUTABLE} cf ${berth_jar_dir}/berth-javadoc.jar -C ${berth_javadoc} .
  DEPENDS ${BERTH_JAR} ${berth_jar_dir}/berth-sources.jar
  COMMENT "Building berth-javadoc.jar"
  VERBATIM)
add_custom_target(berth_javadoc ALL DEPENDS ${berth_jar_dir}/berth-javadoc.jar)
# Else both targets run berth.jar's rule at once under -j and remove each other's files.
add_dependencies(berth_javadoc berth_jar)

set(berth_maven_dir ${CMAKE_INSTALL_DATADIR}/maven-repo/org/berth/berth/${PROJECT_VERSION})
install(FILES ${BERTH_JAR} DESTINATION ${CMAKE_INSTALL_DATADIR}/java)
install(FILES ${BERTH_JAR} DESTINATION ${berth_maven_dir} RENAME berth-${PROJECT_VERSION}.jar)
install(FILES ${berth_jar_dir}/berth.pom DESTINATION ${berth_maven_dir} RENAME berth-${PROJECT_VERSION}.pom)
install(FILES ${berth_jar_dir}/berth-sources.jar DESTINATION ${berth_maven_dir}
  RENAME berth-${PROJECT_VERSION}-sources.jar)
install(FILES ${berth_jar_dir}/berth-javadoc.jar DESTINATION ${berth_maven_dir}
  RENAME berth-${PROJECT_VERSION}-javadoc.jar)
