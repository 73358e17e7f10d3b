# Warnings are target options (never CMAKE_CXX_FLAGS edits); presets switch -Werror on.
add_library(moe_warnings INTERFACE)
target_compile_options(moe_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wconversion -Wshadow
    -Wno-sign-conversion -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual>
  # GCC 12 reports std::string concatenation at -O3 as overlapping memcpy (GCC bug 105329).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict -Wno-stringop-overflow>
  $<$<AND:$<CXX_COMPILER_ID:GNU,Clang>,$<BOOL:${MOESCOPE_WARNINGS_AS_ERRORS}>>:-Werror>)

# Sanitizers, chosen by the asan / tsan presets through MOESCOPE_SANITIZE.
set(MOESCOPE_SANITIZE "" CACHE STRING "address;undefined | thread | empty")
add_library(moe_sanitize INTERFACE)
if(MOESCOPE_SANITIZE)
  string(REPLACE ";" "," _moe_san "${MOESCOPE_SANITIZE}")
  target_compile_options(moe_sanitize INTERFACE -fsanitize=${_moe_san} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(moe_sanitize INTERFACE -fsanitize=${_moe_san})
endif()
