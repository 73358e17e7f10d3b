moe_add_test(test-engine-tokenizer-conformance
  SOURCES test-engine-tokenizer-conformance.cpp
  LIBS moe_engine
  LABELS conformance)
