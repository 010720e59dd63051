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
