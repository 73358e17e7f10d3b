# moescope-cli quantize: a real conversion (then inspected), and the error messages, each of which
# must name the file or the TYPE. Outputs go to the build tree, never the source tree.
set(_moe_qz_in "${MOESCOPE_SHARED_DIR}/conformance/models/qwen2moe-f32.gguf")
set(_moe_qz_out "${CMAKE_CURRENT_BINARY_DIR}/cli-quantize-qwen2moe-Q4_K_M.gguf")

add_test(NAME cli-quantize-q4_k_m COMMAND moescope-cli quantize "${_moe_qz_in}" "${_moe_qz_out}" Q4_K_M -t 2)
set_tests_properties(cli-quantize-q4_k_m PROPERTIES LABELS "unit;conformance" FIXTURES_SETUP cli-quantized
  PASS_REGULAR_EXPRESSION "\\[  37/  37\\] blk\\.1\\.ffn_up_shexp\\.weight +f32 -> q4_K.*quantized 37 tensors \\(22 converted, 0 fallback\\) 17\\.03 MiB -> 2\\.70 MiB")
add_test(NAME cli-quantize-q4_k_m-inspect COMMAND moescope-cli inspect "${_moe_qz_out}")
set_tests_properties(cli-quantize-q4_k_m-inspect PROPERTIES LABELS "unit;conformance" FIXTURES_REQUIRED cli-quantized
  PASS_REGULAR_EXPRESSION "per type:\n  f32 +15 tensors.*\n  q8_0 +4 tensors.*\n  q4_K +13 tensors.*\n  q5_K +2 tensors.*\n  q6_K +3 tensors")

add_test(NAME cli-quantize-unknown-type COMMAND moescope-cli quantize "${_moe_qz_in}" "${CMAKE_CURRENT_BINARY_DIR}/cli-quantize-bad.gguf" Q9_9)
set_tests_properties(cli-quantize-unknown-type PROPERTIES LABELS "unit;conformance"
  PASS_REGULAR_EXPRESSION "^moescope-cli quantize: error: unknown TYPE 'Q9_9'; known: F32, F16, BF16, Q8_0, .*Q4_K_M.*Q6_K")
add_test(NAME cli-quantize-unknown-type-exit COMMAND moescope-cli quantize "${_moe_qz_in}" "${CMAKE_CURRENT_BINARY_DIR}/cli-quantize-bad.gguf" Q9_9)
set_tests_properties(cli-quantize-unknown-type-exit PROPERTIES LABELS "unit;conformance" WILL_FAIL TRUE)

add_test(NAME cli-quantize-missing-input COMMAND moescope-cli quantize "${CMAKE_CURRENT_BINARY_DIR}/no-such-model.gguf" "${CMAKE_CURRENT_BINARY_DIR}/cli-quantize-bad.gguf" Q8_0)
set_tests_properties(cli-quantize-missing-input PROPERTIES LABELS "unit;conformance"
  PASS_REGULAR_EXPRESSION "^moescope-cli quantize: error: [^\n]*/no-such-model\\.gguf: no such file")

add_test(NAME cli-quantize-missing-folder COMMAND moescope-cli quantize "${_moe_qz_in}" "${CMAKE_CURRENT_BINARY_DIR}/no-such-folder/out.gguf" Q8_0)
set_tests_properties(cli-quantize-missing-folder PROPERTIES LABELS "unit;conformance"
  PASS_REGULAR_EXPRESSION "^moescope-cli quantize: error: [^\n]*/no-such-folder/out\\.gguf: cannot write: folder [^\n]*/no-such-folder does not exist")

add_test(NAME cli-quantize-usage COMMAND moescope-cli quantize "${_moe_qz_in}")
set_tests_properties(cli-quantize-usage PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "quantize: expected IN\\.gguf OUT\\.gguf TYPE\nusage: moescope-cli quantize IN\\.gguf OUT\\.gguf TYPE")

# Q5_K in the engine: a Q5_K_S model's batched prefill (the VNNI panel GEMM where the CPU has
# it) gives bit for bit the logits of token-by-token decode (the GEMV).
set(_moe_qz_q5 "${CMAKE_CURRENT_BINARY_DIR}/cli-quantize-qwen2moe-Q5_K_S.gguf")
add_test(NAME cli-quantize-q5_k_s COMMAND moescope-cli quantize "${_moe_qz_in}" "${_moe_qz_q5}" Q5_K_S -t 2)
set_tests_properties(cli-quantize-q5_k_s PROPERTIES LABELS "unit;conformance" FIXTURES_SETUP cli-quantized-q5
  PASS_REGULAR_EXPRESSION "quantized 37 tensors \\(22 converted, 0 fallback\\)")
foreach(_mode batch sequential)
  set(_flag "")
  if(_mode STREQUAL "sequential")
    set(_flag --sequential)
  endif()
  add_test(NAME cli-q5_k-logits-${_mode} COMMAND moescope-cli logits "${_moe_qz_q5}"
    --prompt "Once upon a time there was a small robot who loved to read books" --out "${CMAKE_CURRENT_BINARY_DIR}/cli-q5_k-logits-${_mode}.bin" ${_flag} -t 2)
  set_tests_properties(cli-q5_k-logits-${_mode} PROPERTIES LABELS "unit;conformance" FIXTURES_REQUIRED cli-quantized-q5
    FIXTURES_SETUP cli-q5-logits)
endforeach()
add_test(NAME cli-q5_k-batch-equals-sequential COMMAND ${CMAKE_COMMAND} -E compare_files
  "${CMAKE_CURRENT_BINARY_DIR}/cli-q5_k-logits-batch.bin" "${CMAKE_CURRENT_BINARY_DIR}/cli-q5_k-logits-sequential.bin")
set_tests_properties(cli-q5_k-batch-equals-sequential PROPERTIES LABELS "unit;conformance" FIXTURES_REQUIRED cli-q5-logits)
