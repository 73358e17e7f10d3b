moe_add_test(test-kernels-vector-ops SOURCES test-kernels-vector-ops.cpp LIBS moe_kernels LABELS unit)
