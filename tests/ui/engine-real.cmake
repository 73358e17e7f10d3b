# The worker and the whole window over the real engine on conformance models.
moe_add_test(test-ui-engine-real SOURCES test-ui-engine-real.cpp LIBS moe_ui LABELS ui model threads)
moe_add_test(test-ui-screenshot SOURCES test-ui-screenshot.cpp LIBS moe_ui LABELS ui model slow TIMEOUT 900)
if(TARGET moescope)
  add_dependencies(test-ui-screenshot moescope)
endif()
