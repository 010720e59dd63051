# ctest entries per GoogleTest suite, not per test. Every dfkd_tests process pays ~1.3 s of
# start-up (LibTorch's operator registration, the plugins) before its first test: 550 processes
# spent more time starting than testing. One entry per suite keeps `ctest -R Suite` working; a
# suite of more than SHARD_SIZE tests becomes several entries, `Suite[i/n]`, one gtest shard each
# (GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX over the suite's filter), so two cores stay busy.
#
# Two modes:
#   include(DfkdGtestSuites); dfkd_add_gtest_suites(<target> SHARD_SIZE n TIMEOUT s)
#     at configure time: lists the target's tests after every build and registers the entries.
#   cmake -DEXE=... -DOUT=... -DWORKDIR=... -DSHARD_SIZE=... -DTIMEOUT=... -P DfkdGtestSuites.cmake
#     at build time (POST_BUILD): writes OUT, the ctest script of the entries.

if(CMAKE_SCRIPT_MODE_FILE)
  execute_process(COMMAND "${EXE}" --gtest_list_tests WORKING_DIRECTORY "${WORKDIR}"
                  OUTPUT_VARIABLE listing RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EXE} --gtest_list_tests failed (exit ${rc}):\n${err}")
  endif()
  # "Suite." lines start a suite (a comment may follow: typed tests); "  Name" lines are its tests.
  string(REPLACE ";" "\\;" listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")
  set(suites "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^([^ #][^ ]*)\\.")
      set(suite "${CMAKE_MATCH_1}")
      list(APPEND suites "${suite}")
      set(count_${suite} 0)
    elseif(line MATCHES "^  [^ ]" AND DEFINED suite)
      math(EXPR count_${suite} "${count_${suite}} + 1")
    endif()
  endforeach()
  set(script "# Written by cmake/DfkdGtestSuites.cmake after each build of ${EXE}.\n")
  foreach(suite IN LISTS suites)
    set(n ${count_${suite}})
    math(EXPR shards "(${n} + ${SHARD_SIZE} - 1) / ${SHARD_SIZE}")
    foreach(i RANGE 1 ${shards})
      if(shards EQUAL 1)
        set(name "${suite}")
        set(env "")
      else()
        math(EXPR index "${i} - 1")
        set(name "${suite}[${i}/${shards}]")
        set(env " ENVIRONMENT \"GTEST_TOTAL_SHARDS=${shards};GTEST_SHARD_INDEX=${index}\"")
      endif()
      # COST: ctest starts the costliest entries first, so a long shard does not start last.
      math(EXPR cost "(${n} + ${shards} - 1) / ${shards}")
      string(APPEND script
        "add_test([==[${name}]==] \"${EXE}\" [==[--gtest_filter=${suite}.*]==])\n"
        "set_tests_properties([==[${name}]==] PROPERTIES WORKING_DIRECTORY \"${WORKDIR}\""
        " TIMEOUT ${TIMEOUT} COST ${cost}${env})\n")
    endforeach()
  endforeach()
  file(WRITE "${OUT}.new" "${script}")
  file(RENAME "${OUT}.new" "${OUT}")
  return()
endif()

set(_dfkd_gtest_suites_script "${CMAKE_CURRENT_LIST_FILE}")

function(dfkd_add_gtest_suites target)
  cmake_parse_arguments(arg "" "SHARD_SIZE;TIMEOUT" "" ${ARGN})
  set(entries "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${CMAKE_COMMAND}" -DEXE=$<TARGET_FILE:${target}> -DOUT=${entries}
            -DWORKDIR=${CMAKE_CURRENT_BINARY_DIR} -DSHARD_SIZE=${arg_SHARD_SIZE}
            -DTIMEOUT=${arg_TIMEOUT} -P "${_dfkd_gtest_suites_script}"
    COMMENT "Listing the GoogleTest suites of ${target} for ctest"
    VERBATIM)
  # A change to this file relinks the target, so the entries are written anew.
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_dfkd_gtest_suites_script}")
  # ctest reads this before running: the entries once built, else one entry that says so.
  set(include "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites_include.cmake")
  file(WRITE "${include}"
    "if(EXISTS \"${entries}\")\n"
    "  include(\"${entries}\")\n"
    "else()\n"
    "  add_test(${target}_NOT_BUILT \"${CMAKE_COMMAND}\" -E echo \"${target} is not built: build it first\")\n"
    "  set_tests_properties(${target}_NOT_BUILT PROPERTIES WILL_FAIL TRUE)\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include}")
endfunction()
