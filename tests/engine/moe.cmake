# MoE routing, expert cache in sessions, MoE telemetry (owner: moe helper).
moe_add_test(test-engine-moe
  SOURCES test-engine-moe.cpp
  LIBS moe_engine
  LABELS unit model threads)
target_include_directories(test-engine-moe PRIVATE ${PROJECT_SOURCE_DIR}/engine/src)
moe_add_test(test-engine-moe-telemetry
  SOURCES test-engine-moe-telemetry.cpp
  LIBS moe_engine nlohmann_json::nlohmann_json
  LABELS unit model threads)
