moe_add_test(test-engine-expert-cache SOURCES test-engine-expert-cache.cpp LIBS moe_engine LABELS unit threads)
