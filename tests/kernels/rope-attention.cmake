moe_add_test(test-kernels-rope-attention SOURCES test-kernels-rope-attention.cpp LIBS moe_kernels LABELS unit)
