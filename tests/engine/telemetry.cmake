moe_add_test(test-engine-telemetry SOURCES test-engine-telemetry.cpp
  LIBS moe_engine nlohmann_json::nlohmann_json LABELS unit threads)
