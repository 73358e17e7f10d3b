moe_add_test(test-engine-gguf-writer SOURCES test-engine-gguf-writer.cpp LIBS moe_engine LABELS unit conformance)
