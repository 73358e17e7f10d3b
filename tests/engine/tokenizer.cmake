moe_add_test(test-engine-tokenizer-conformance
  SOURCES test-engine-tokenizer-conformance.cpp
  LIBS moe_engine
  LABELS conformance)
moe_add_test(test-engine-tokenizer
  SOURCES test-engine-tokenizer.cpp
  LIBS moe_engine
  LABELS unit)
