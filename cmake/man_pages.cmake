# Writes OUT/berth.1 and OUT/berth-<command>.1 for every command `berth __complete` lists, with
# help2man from each one's --help.
#   cmake -DBERTH=<berth> -DHELP2MAN=<help2man> -DOUT=<dir> -P man_pages.cmake
foreach(var BERTH HELP2MAN OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "man_pages.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "man_pages.cmake: '${ARGN}' failed (${status}):\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${OUT}")
file(MAKE_DIRECTORY "${OUT}")
run("${BERTH}" --version)
string(REGEX REPLACE "^berth ([^\n]*)\n.*$" "\\1" version "${output}")
set(common --no-info --no-discard-stderr --section=1 --source=Berth "--version-string=${version}")

run("${HELP2MAN}" ${common} "--name=resource placement: which server owns which stream" --output=${OUT}/berth.1 "${BERTH}")
# One line per command: name, a tab, its description (which may hold any character but a newline).
run("${BERTH}" __complete --describe --)
string(REGEX MATCHALL "[^\n]+" lines "${output}")
foreach(line IN LISTS lines)
  string(FIND "${line}" "\t" tab)
  string(SUBSTRING "${line}" 0 ${tab} command)
  math(EXPR from "${tab} + 1")
  string(SUBSTRING "${line}" ${from} -1 description)
  run("${HELP2MAN}" ${common} "--name=${description}" "--help-option=${command} --help"
      --output=${OUT}/berth-${command}.1 "${BERTH}")
endforeach()
