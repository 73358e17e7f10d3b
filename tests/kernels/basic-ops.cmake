moe_add_test(test-kernels-basic-ops SOURCES test-kernels-basic-ops.cpp LIBS moe_kernels LABELS unit)
moe_add_test(test-kernels-fp16 SOURCES test-kernels-fp16.cpp LIBS moe_kernels LABELS unit)
