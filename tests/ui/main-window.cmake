moe_add_test(test-ui-main-window SOURCES test-ui-main-window.cpp LIBS moe_ui LABELS ui)
