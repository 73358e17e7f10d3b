moe_add_test(test-ui-conversation-store SOURCES test-ui-conversation-store.cpp LIBS moe_ui LABELS ui)
moe_add_test(test-ui-settings SOURCES test-ui-settings.cpp LIBS moe_ui LABELS ui)
moe_add_test(test-ui-aggregators SOURCES test-ui-aggregators.cpp LIBS moe_ui LABELS ui threads)
moe_add_test(test-ui-model-panel SOURCES test-ui-model-panel.cpp LIBS moe_ui LABELS ui)
