# Model architectures, sessions, sampling (owner: model helper).
moe_add_test(test-engine-model-conformance
  SOURCES test-engine-model-conformance.cpp
  LIBS moe_engine nlohmann_json::nlohmann_json
  LABELS conformance model TIMEOUT 900)
target_include_directories(test-engine-model-conformance PRIVATE ${PROJECT_SOURCE_DIR}/engine/src)
moe_add_test(test-engine-model-units
  SOURCES test-engine-model-units.cpp
  LIBS moe_engine
  LABELS unit model threads)
target_include_directories(test-engine-model-units PRIVATE ${PROJECT_SOURCE_DIR}/engine/src)
moe_add_test(test-engine-decode-alloc
  SOURCES test-engine-decode-alloc.cpp
  LIBS moe_engine
  LABELS unit model threads)
