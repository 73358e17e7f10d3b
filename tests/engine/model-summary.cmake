moe_add_test(test-engine-model-summary SOURCES test-engine-model-summary.cpp
  LIBS moe_engine nlohmann_json::nlohmann_json LABELS unit conformance)
