moe_add_test(test-ui-main-window SOURCES test-ui-main-window.cpp fake-backend.hpp LIBS moe_ui LABELS ui)
