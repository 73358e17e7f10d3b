moe_add_test(test-kernels-matmul SOURCES test-kernels-matmul.cpp LIBS moe_kernels LABELS unit)
moe_add_test(test-kernels-quantize SOURCES test-kernels-quantize.cpp LIBS moe_kernels LABELS unit)
