moe_add_test(test-kernels-quant SOURCES test-kernels-quant.cpp LIBS moe_kernels LABELS unit)
# Reads real GGUF files through the engine, which a kernels-only build does not have.
if(TARGET moe_engine)
  moe_add_test(test-kernels-quant-gguf SOURCES test-kernels-quant-gguf.cpp LIBS moe_engine moe_kernels
    LABELS conformance)
endif()
