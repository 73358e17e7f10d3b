# DEB (prefix /usr, dependencies from dpkg-shlibdeps) and a portable TGZ.
set(CPACK_PACKAGE_NAME "moescope")
set(CPACK_PACKAGE_VENDOR "MoEScope developers")
set(CPACK_PACKAGE_CONTACT "MoEScope developers <dev@moescope.invalid>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "MoEScope runs Mixture-of-Experts language models from GGUF files with its own
SIMD engine and shows live which experts each token picks, how the expert cache
hits and where the time goes. Includes the moescope-cli command-line tool.")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_STRIP_FILES ON)
set(CPACK_VERBATIM_VARIABLES ON)

set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# The portable archive keeps its own folder layout (bin/, share/) and finds its data relative
# to the executable.
set(CPACK_ARCHIVE_FILE_NAME "moescope-${PROJECT_VERSION}-linux-${CMAKE_SYSTEM_PROCESSOR}")
