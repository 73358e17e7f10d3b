# Use ccache when it is installed: CI and incremental builds recompile only what changed.
find_program(MOE_CCACHE ccache)
if(MOE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER "${MOE_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${MOE_CCACHE}")
endif()
