moe_add_test(test-ui-engine-worker SOURCES test-ui-engine-worker.cpp fake-backend.hpp LIBS moe_ui LABELS ui threads)
