# Model architectures, sessions, sampling (owner: model helper).
moe_add_test(test-engine-model-conformance
  SOURCES test-engine-model-conformance.cpp
  LIBS moe_engine nlohmann_json::nlohmann_json
  LABELS conformance model TIMEOUT 900)
target_include_directories(test-engine-model-conformance PRIVATE ${PROJECT_SOURCE_DIR}/engine/src)
