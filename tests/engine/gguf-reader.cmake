moe_add_test(test-engine-gguf-reader SOURCES test-engine-gguf-reader.cpp LIBS moe_engine LABELS unit conformance)
