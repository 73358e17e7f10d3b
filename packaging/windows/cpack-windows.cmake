# Windows installer (NSIS). Not buildable on the Debian build machines: kept so the
# configuration is ready; see the README.
set(CPACK_GENERATOR "NSIS;ZIP")
set(CPACK_PACKAGE_NAME "MoEScope")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "MoEScope")
set(CPACK_NSIS_DISPLAY_NAME "MoEScope")
set(CPACK_NSIS_PACKAGE_NAME "MoEScope ${PROJECT_VERSION}")
set(CPACK_NSIS_MUI_ICON "${PROJECT_SOURCE_DIR}/resources/icons/moescope.ico")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_CREATE_ICONS_EXTRA "CreateShortCut '$SMPROGRAMS\\\\$STARTMENU_FOLDER\\\\MoEScope.lnk' '$INSTDIR\\\\bin\\\\moescope.exe'")
# Fixed upgrade identity so a newer installer replaces an older one.
set(CPACK_WIX_UPGRADE_GUID "6C1E0C3A-2B1D-4C55-9E43-7D7F3B0B9A21")
if(TARGET moescope)
  qt_generate_deploy_app_script(TARGET moescope OUTPUT_SCRIPT _moe_deploy NO_UNSUPPORTED_PLATFORM_ERROR)
  install(SCRIPT "${_moe_deploy}")
endif()
