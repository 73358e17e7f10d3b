# macOS disk image. Not buildable on the Debian build machines: kept so the configuration is
# ready; see the README.
set(CPACK_GENERATOR "DragNDrop")
set(CPACK_PACKAGE_NAME "MoEScope")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DMG_VOLUME_NAME "MoEScope ${PROJECT_VERSION}")
if(TARGET moescope)
  set_target_properties(moescope PROPERTIES MACOSX_BUNDLE ON
    MACOSX_BUNDLE_GUI_IDENTIFIER io.moescope.MoEScope
    MACOSX_BUNDLE_BUNDLE_VERSION "${PROJECT_VERSION}"
    MACOSX_BUNDLE_SHORT_VERSION_STRING "${PROJECT_VERSION}")
  qt_generate_deploy_app_script(TARGET moescope OUTPUT_SCRIPT _moe_deploy NO_UNSUPPORTED_PLATFORM_ERROR)
  install(SCRIPT "${_moe_deploy}")
endif()
