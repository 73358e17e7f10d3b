moe_add_test(test-engine-gguf-validation SOURCES test-engine-gguf-validation.cpp LIBS moe_engine LABELS unit conformance)
