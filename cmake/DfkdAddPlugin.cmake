# dfkd_add_plugin(NAME <name> KIND <model|dataset|generator|regularizer|method> SOURCES <files...>
#                 [MATHS <files...>] [LIBRARIES <targets...>] [OUTPUT_DIR <dir>])
# Builds a plugin as a MODULE library named exactly <name>.so (no "lib" prefix) into
# <plugins dir>/<kind>/, where the host discovers it.
# MATHS sources (the plugin's free loss functions, or anything tests should call directly) become
# a static library dfkd_maths_<name> with the plugin's folder on its include path; the plugin links
# it, and so does the in-tree test executable (global property DFKD_MATHS_LIBRARIES).
function(dfkd_add_plugin)
  cmake_parse_arguments(P "" "NAME;KIND;OUTPUT_DIR" "SOURCES;MATHS;LIBRARIES" ${ARGN})
  if(NOT P_NAME OR NOT P_KIND OR NOT P_SOURCES)
    message(FATAL_ERROR "dfkd_add_plugin: NAME, KIND and SOURCES are required")
  endif()
  set(_kinds model dataset generator regularizer method)
  if(NOT P_KIND IN_LIST _kinds)
    message(FATAL_ERROR "dfkd_add_plugin(${P_NAME}): KIND '${P_KIND}' is not one of ${_kinds}")
  endif()
  if(NOT P_OUTPUT_DIR)
    if(DEFINED DFKD_PLUGIN_OUTPUT_DIR)
      set(P_OUTPUT_DIR ${DFKD_PLUGIN_OUTPUT_DIR}/${P_KIND})
    else()
      set(P_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/plugins/${P_KIND})
    endif()
  endif()
  if(P_MATHS)
    set(_maths dfkd_maths_${P_NAME})
    add_library(${_maths} STATIC ${P_MATHS})
    # Linked into a shared module: must be PIC even where the project does not set it globally
    # (out-of-tree plugins).
    set_target_properties(${_maths} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_link_libraries(${_maths} PUBLIC dfkd::sdk)
    target_include_directories(${_maths} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    if(TARGET dfkd_pch)
      target_precompile_headers(${_maths} REUSE_FROM dfkd_pch)
    endif()
    set_property(GLOBAL APPEND PROPERTY DFKD_MATHS_LIBRARIES ${_maths})
    list(APPEND P_LIBRARIES ${_maths})
  endif()
  set(_target dfkd_plugin_${P_KIND}_${P_NAME})
  add_library(${_target} MODULE ${P_SOURCES})
  set_target_properties(${_target} PROPERTIES
    PREFIX "" OUTPUT_NAME ${P_NAME}
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  target_link_libraries(${_target} PRIVATE dfkd::sdk ${P_LIBRARIES})
  if(TARGET dfkd_pch)
    target_precompile_headers(${_target} REUSE_FROM dfkd_pch)
  endif()
  set_property(GLOBAL APPEND PROPERTY DFKD_PLUGIN_TARGETS ${_target})
  set(DFKD_LAST_PLUGIN_TARGET ${_target} PARENT_SCOPE)
endfunction()
