# moe_add_test(NAME SOURCES src... [LIBS lib...] [LABELS label...] [TIMEOUT s] [ENV k=v...])
# Builds a Qt Test executable and registers it with CTest. MOE_SHARED_DIR points at the shared
# conformance data, read in place. Label `threads`: the multi-threaded tests (engine parallel
# paths, telemetry, the GUI's worker thread) that the tsan preset runs; the target
# moe-threaded-tests builds just those.
add_custom_target(moe-threaded-tests)
function(moe_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS;ENV" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  set_target_properties(${name} PROPERTIES AUTOMOC ON)
  target_link_libraries(${name} PRIVATE ${T_LIBS} Qt6::Test moe_warnings moe_sanitize)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE
    MOE_SHARED_DIR="${MOESCOPE_SHARED_DIR}"
    MOE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MOE_BINARY_DIR="${PROJECT_BINARY_DIR}"
    QT_NO_KEYWORDS)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set(_labels ${T_LABELS})
  if(NOT _labels)
    set(_labels unit)
  endif()
  if("threads" IN_LIST _labels)
    add_dependencies(moe-threaded-tests ${name})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${_labels}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;${T_ENV}")
endfunction()
