moe_add_test(test-ui-trace-export SOURCES test-ui-trace-export.cpp
  LIBS moe_ui nlohmann_json::nlohmann_json LABELS ui)
