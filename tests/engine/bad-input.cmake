# Bad-input catalogue through the public engine API (owner: harden helper).
moe_add_test(test-engine-bad-input
  SOURCES test-engine-bad-input.cpp
  LIBS moe_engine
  LABELS unit)
moe_add_test(test-engine-fuzz-regressions
  SOURCES test-engine-fuzz-regressions.cpp
  LIBS moe_engine
  LABELS unit)
