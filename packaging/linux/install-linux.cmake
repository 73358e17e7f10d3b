# Desktop integration files, icons, man pages and the demo model.
set(_linux "${CMAKE_CURRENT_SOURCE_DIR}/linux")
set(_icons "${PROJECT_SOURCE_DIR}/resources/icons")

install(FILES "${_linux}/io.moescope.MoEScope.desktop" DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES "${_linux}/io.moescope.MoEScope.metainfo.xml" DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES "${_linux}/io.moescope.MoEScope.xml" DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages)
install(FILES "${_icons}/moescope.svg" DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
        RENAME io.moescope.MoEScope.svg)
foreach(size 16 32 48 64 128 256)
  install(FILES "${_icons}/moescope-${size}.png"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
          RENAME io.moescope.MoEScope.png)
endforeach()

# Man pages, compressed as Debian policy asks.
foreach(page moescope.1 moescope-cli.1)
  add_custom_command(OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/${page}.gz"
    COMMAND gzip -9nc "${_linux}/${page}" > "${CMAKE_CURRENT_BINARY_DIR}/${page}.gz"
    DEPENDS "${_linux}/${page}" VERBATIM)
  list(APPEND _man_pages "${CMAKE_CURRENT_BINARY_DIR}/${page}.gz")
endforeach()
add_custom_target(moescope-man-pages ALL DEPENDS ${_man_pages})
install(FILES ${_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(_demo_model "${PROJECT_SOURCE_DIR}/resources/models/moescope-demo-q8_0.gguf")
if(EXISTS "${_demo_model}")
  install(FILES "${_demo_model}" DESTINATION ${CMAKE_INSTALL_DATADIR}/moescope/models)
endif()
# Debian policy: /usr/share/doc/<package>/copyright and a compressed changelog.
add_custom_command(OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/changelog.gz"
  COMMAND gzip -9nc "${_linux}/changelog" > "${CMAKE_CURRENT_BINARY_DIR}/changelog.gz"
  DEPENDS "${_linux}/changelog" VERBATIM)
add_custom_target(moescope-changelog ALL DEPENDS "${CMAKE_CURRENT_BINARY_DIR}/changelog.gz")
install(FILES "${_linux}/copyright" "${CMAKE_CURRENT_BINARY_DIR}/changelog.gz"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/moescope)
