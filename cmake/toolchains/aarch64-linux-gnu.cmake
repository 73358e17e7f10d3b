# Cross build for arm64 (NEON kernels) on an x86-64 Debian host with g++-aarch64-linux-gnu;
# executables (tests) run through qemu-aarch64. packaging/cross-test-aarch64.sh drives it.
#
# MOESCOPE_CROSS_ROOT: a folder holding arm64 Debian packages unpacked with `dpkg-deb -x`
# (xsimd, xtl, Qt Core/Test and their runtime libraries); the host's dpkg database is never
# touched. The compiler's own libc/libstdc++ live in /usr/aarch64-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# try_compile projects (compiler checks, find_package(Threads)) see the same variables.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MOESCOPE_CROSS_ROOT)
if(NOT MOESCOPE_CROSS_ROOT)
  set(MOESCOPE_CROSS_ROOT "$ENV{MOESCOPE_CROSS_ROOT}")
endif()
if(NOT MOESCOPE_CROSS_ROOT OR NOT IS_DIRECTORY "${MOESCOPE_CROSS_ROOT}")
  message(FATAL_ERROR "aarch64 toolchain: MOESCOPE_CROSS_ROOT ('${MOESCOPE_CROSS_ROOT}') is not a "
                      "folder of unpacked arm64 packages (packaging/cross-test-aarch64.sh makes one)")
endif()

# Libraries, headers and CMake packages come only from the arm64 folders; programs from the host.
set(CMAKE_FIND_ROOT_PATH "${MOESCOPE_CROSS_ROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Qt's build tools (moc) are the host's: same Qt version, architecture-independent output.
set(QT_HOST_PATH /usr)
set(QT_HOST_PATH_CMAKE_DIR /usr/lib/x86_64-linux-gnu/cmake)

# The unpacked libraries are not in the linker's or the loader's default paths: the linker
# resolves their own dependencies through -rpath-link, qemu's loader through LD_LIBRARY_PATH.
set(_moe_cross_libs "${MOESCOPE_CROSS_ROOT}/usr/lib/aarch64-linux-gnu:${MOESCOPE_CROSS_ROOT}/lib/aarch64-linux-gnu")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_moe_cross_libs}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_moe_cross_libs}")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu -E "LD_LIBRARY_PATH=${_moe_cross_libs}")
