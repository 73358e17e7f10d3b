moe_add_test(test-kernels-quant SOURCES test-kernels-quant.cpp LIBS moe_kernels LABELS unit)
moe_add_test(test-kernels-quant-gguf SOURCES test-kernels-quant-gguf.cpp LIBS moe_engine moe_kernels
  LABELS conformance)
