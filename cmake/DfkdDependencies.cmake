# Every dependency comes from Debian packages (see scripts/setup.sh).
find_package(Torch REQUIRED)
if(Torch_VERSION VERSION_LESS 1.13)
  message(FATAL_ERROR "dfkd needs LibTorch >= 1.13 (found ${Torch_VERSION})")
endif()
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(Threads REQUIRED)

# LibTorch's CMake config exports TORCH_LIBRARIES + TORCH_CXX_FLAGS; wrap them in one target.
if(NOT TARGET dfkd_torch)
  add_library(dfkd_torch INTERFACE)
  target_link_libraries(dfkd_torch INTERFACE ${TORCH_LIBRARIES})
  target_include_directories(dfkd_torch INTERFACE ${TORCH_INCLUDE_DIRS})
  separate_arguments(_dfkd_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(dfkd_torch INTERFACE ${_dfkd_torch_flags})
endif()

# Executables are compiled -fPIC (not -fPIE) so they can reuse the one precompiled header the
# PIC libraries and plugins use; GCC rejects a PCH built with different PIC/PIE flags.
function(dfkd_use_shared_pch target)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  target_compile_options(${target} PRIVATE -fPIC)
  target_precompile_headers(${target} REUSE_FROM dfkd_pch)
endfunction()

# Loading the LibTorch PCH costs a translation unit ~4 s even when it never uses LibTorch (the
# store, the CLI tests: 0.8–2 s without it). Turns the PCH off for every source of `target` that
# reaches no LibTorch header: neither directly nor through a quoted header or an SDK header
# (<dfkd/...>) found under `ARGN` (include roots), followed recursively. A file scanned wrongly
# only builds slower: every source includes what it uses.
function(dfkd_pch_only_where_torch target)
  get_target_property(_sources ${target} SOURCES)
  get_target_property(_dir ${target} SOURCE_DIR)
  set(_roots ${ARGN})
  set(_without 0)
  foreach(_source ${_sources})
    get_filename_component(_path ${_source} ABSOLUTE BASE_DIR ${_dir})
    _dfkd_reaches_torch(${_path} "${_roots}" _torch)
    if(NOT _torch)
      set_source_files_properties(${_source} TARGET_DIRECTORY ${target}
                                  PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
      math(EXPR _without "${_without} + 1")
    endif()
  endforeach()
  list(LENGTH _sources _all)
  message(STATUS "${target}: ${_without} of ${_all} sources need no LibTorch, built without its PCH")
endfunction()

function(_dfkd_reaches_torch file roots out_var)
  set(_todo ${file})
  set(_seen)
  while(_todo)
    list(POP_FRONT _todo _f)
    if(_f IN_LIST _seen)
      continue()
    endif()
    list(APPEND _seen ${_f})
    get_filename_component(_here ${_f} DIRECTORY)
    file(STRINGS ${_f} _includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(_line ${_includes})
      if(_line MATCHES "[<\"](torch|ATen|c10)/")
        set(${out_var} TRUE PARENT_SCOPE)
        return()
      endif()
      # Two ifs, not one OR: a failed MATCHES clears CMAKE_MATCH_1 of the one that matched.
      set(_name "")
      if(_line MATCHES "\"([^\"]+)\"")
        set(_name ${CMAKE_MATCH_1})
      elseif(_line MATCHES "<(dfkd/[^>]+)>")
        set(_name ${CMAKE_MATCH_1})
      endif()
      if(_name)
        set(_found FALSE)
        foreach(_base ${_here} ${roots})
          if(EXISTS ${_base}/${_name})
            list(APPEND _todo ${_base}/${_name})
            set(_found TRUE)
            break()
          endif()
        endforeach()
        # A header outside the roots (a plugin's, through its maths library) may reach LibTorch:
        # assume it does. A wrong guess this way costs seconds of loading the PCH; the other way,
        # parsing all of <torch/torch.h> (tests/two_moons_data_test.cpp did: 39 s with GCC).
        if(NOT _found)
          set(${out_var} TRUE PARENT_SCOPE)
          return()
        endif()
      endif()
    endforeach()
  endwhile()
  set(${out_var} FALSE PARENT_SCOPE)
endfunction()
