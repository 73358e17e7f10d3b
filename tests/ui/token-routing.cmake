moe_add_test(test-ui-token-routing SOURCES test-ui-token-routing.cpp fake-backend.hpp LIBS moe_ui LABELS ui)
